//! What every primitive owes the wakers it is given, tested across primitives.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use super::{broadcast, mpsc, oneshot};

/// A waker that runs `on_drop` when its last clone goes, as a waker whose task owns a
/// sender does.
struct OnDrop(Option<Box<dyn FnOnce() + Send + Sync>>);

impl Wake for OnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(on_drop) = self.0.take() {
            on_drop();
        }
    }
}

fn waker_on_drop(on_drop: impl FnOnce() + Send + Sync + 'static) -> Waker {
    Waker::from(Arc::new(OnDrop(Some(Box::new(on_drop)))))
}

/// Polls `future` with a waker that runs `on_drop` as it drops, drops the caller's handle
/// on it, and polls again with another waker: the future replaces (drops) the first one.
/// On a thread of its own: a waker dropped under the primitive's lock deadlocks it.
fn replace_a_waker_whose_drop_uses_the_channel<F>(future: F, on_drop: impl FnOnce() + Send + Sync + 'static)
where
    F: Future + Send + 'static,
{
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut future = Box::pin(future);
        let waker = waker_on_drop(on_drop);
        assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        drop(waker);
        let _ = future.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("deadlock: the replaced waker was dropped under the channel's lock");
}

// After tokio's `send_in_waker_drop` (sync_broadcast.rs).
#[test]
fn a_replaced_waker_may_send_on_the_broadcast_channel_as_it_drops() {
    let (tx, mut rx) = broadcast::channel(16);
    replace_a_waker_whose_drop_uses_the_channel(async move { rx.recv().await.map(drop) }, move || {
        let _ = tx.send(());
    });
}

#[test]
fn a_replaced_waker_may_send_on_the_mpsc_channel_as_it_drops() {
    let (tx, mut rx) = mpsc::channel(16);
    replace_a_waker_whose_drop_uses_the_channel(async move { rx.recv().await }, move || {
        let _ = tx.try_send(());
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    replace_a_waker_whose_drop_uses_the_channel(async move { rx.recv().await }, move || {
        let _ = tx.send(());
    });
}

#[test]
fn a_replaced_waker_may_use_the_oneshot_channel_as_it_drops() {
    let (tx, rx) = oneshot::channel();
    replace_a_waker_whose_drop_uses_the_channel(rx, move || {
        let _ = tx.send(());
    });
    let (mut tx, rx) = oneshot::channel::<()>();
    let rx = std::sync::Mutex::new(Some(rx));
    replace_a_waker_whose_drop_uses_the_channel(async move { tx.closed().await }, move || {
        drop(rx.lock().unwrap().take());
    });
}
