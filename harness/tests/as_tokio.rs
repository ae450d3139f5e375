//! Code written against tokio's paths compiles against racewright, renamed as tokio, and is
//! explored: the surface a new user of `extern crate racewright as tokio;` reaches first.

extern crate racewright as tokio;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Barrier, Mutex, OnceCell, RwLock, Semaphore, SetOnce, broadcast, mpsc, oneshot, watch};
use tokio::task::{JoinSet, LocalSet};

tokio::task_local! {
    static TRACE_ID: u64;
}

static STARTED: SetOnce<()> = SetOnce::const_new();
static LIMIT: Semaphore = Semaphore::const_new(2);

async fn service() -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let (tx, mut rx) = mpsc::channel::<u64>(4);
    let (btx, mut brx) = broadcast::channel(4);
    let (wtx, mut wrx) = watch::channel(0u64);
    let (otx, orx) = oneshot::channel();
    let counter = Arc::new(Mutex::new(0u64));
    let config = Arc::new(RwLock::new(1u64));
    let cell = Arc::new(OnceCell::new());
    let barrier = Arc::new(Barrier::new(2));

    let mut set = JoinSet::new();
    set.spawn({
        let (counter, barrier, cell) = (counter.clone(), barrier.clone(), cell.clone());
        async move {
            let _permit = LIMIT.acquire().await?;
            *counter.lock().await += *cell.get_or_init(|| async { 2 }).await;
            barrier.wait().await;
            tx.send(5).await?;
            btx.send(7)?;
            wtx.send(9)?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }
    });
    let blocking = tokio::task::spawn_blocking(move || otx.send(11).unwrap());
    barrier.wait().await;
    let (a, b) = tokio::join!(rx.recv(), brx.recv());
    wrx.changed().await?;
    let c = *wrx.borrow();
    let d = orx.await?;
    blocking.await?;
    while let Some(result) = set.join_next().await {
        result??;
    }
    let total = TRACE_ID.scope(1, async { TRACE_ID.get() + *counter.lock().await + *config.read().await }).await;
    let local = LocalSet::new();
    let e = local.run_until(async { tokio::task::spawn_local(async { 13 }).await }).await?;
    let _ = STARTED.set(());
    let mut delay = std::pin::pin!(tokio::time::sleep(Duration::from_secs(1)));
    let raced = tokio::select! {
        biased;
        () = &mut delay => 0,
        v = async { 17 } => v,
    };
    tokio::time::advance(Duration::from_secs(1)).await;
    tokio::try_join!(async { Ok::<_, std::io::Error>(()) })?;
    let handle = tokio::runtime::Handle::current();
    let f = handle
        .spawn(async {
            tokio::task::consume_budget().await;
            19
        })
        .await?;
    Ok(a.unwrap_or(0) + b? + c + d + total + e + raced + f)
}

#[test]
fn a_tokio_style_service_compiles_and_runs_in_every_interleaving() {
    tokio::check(|| async {
        assert_eq!(service().await.unwrap(), 5 + 7 + 9 + 11 + (1 + 2 + 1) + 13 + 17 + 19);
    });
}
