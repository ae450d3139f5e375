//! `racewright::select!`: tokio's `select!`, with the branch polled first chosen by the
//! exploration.
//!
//! The macro follows tokio's: it evaluates the preconditions and the futures in order,
//! wraps each future in a [`Branch`] (trace events, cancellation of the losers), asks
//! [`Select::new`] which branch goes first, then polls the branches in turn from there; a
//! branch that completes and matches its pattern wins, one that does not match is
//! disabled, and `else` runs once every branch is disabled.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::engine;
use crate::run::execution;

/// Waits on several futures at once and runs the handler of the first that completes
/// (and whose pattern matches), dropping the others, as `tokio::select!`.
///
/// Same syntax and semantics as tokio's: branches `pattern = future => handler`, an
/// optional precondition `, if condition` (a branch whose condition is false is not
/// polled), `biased;` to poll the branches in order, and `else => expression` when every
/// branch is disabled (without it, that panics). A branch whose output does not match its
/// pattern is disabled and the others go on.
///
/// Which branch is polled first is a scheduling choice: inside a run the strategy makes
/// it (and a replay repeats it), so a handler that only runs when its branch wins a tie
/// is explored; outside a run the branches take turns. Dropping the losing branches is a
/// cancellation, and the trace shows it (`select cancelled branch N`).
///
/// ```
/// use racewright::sync::oneshot;
/// use racewright::time::{Duration, sleep};
///
/// racewright::check(|| async {
///     let (tx, mut rx) = oneshot::channel();
///     racewright::spawn(async move { tx.send("pong").unwrap() });
///     let answer = racewright::select! {
///         reply = &mut rx => reply.unwrap(),
///         _ = sleep(Duration::from_secs(1)) => "timed out",
///     };
///     assert_eq!(answer, "pong");
/// });
/// ```
#[macro_export]
macro_rules! select {
    // Parsing: one branch at a time into `[index name (pattern) (future) (condition) (handler)]`;
    // the end (`else`, or none) first: `else` is no pattern.
    (@parse $b:tt [$($is:tt)*] [] else => $e:expr $(,)?) => {
        $e
    };
    (@parse $b:tt [$($is:tt)*] [] ) => {
        ::core::compile_error!("select! requires at least one branch.")
    };
    (@parse $b:tt [$($is:tt)*] [$($branches:tt)+] else => $e:expr $(,)?) => {
        $crate::select!(@emit $b { $e } [$($branches)+])
    };
    (@parse $b:tt [$($is:tt)*] [$($branches:tt)+]) => {
        $crate::select!(@emit $b {
            ::core::panic!("all branches are disabled and there is no else branch")
        } [$($branches)+])
    };
    (@parse $b:tt [] [$($branches:tt)*] $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr, if $c:expr => $h:block, $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) ($c) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr, if $c:expr => $h:block $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) ($c) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr => $h:block, $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) (true) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr => $h:block $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) (true) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr, if $c:expr => $h:expr, $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) ($c) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr, if $c:expr => $h:expr) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) ($c) ($h)]])
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr => $h:expr, $($rest:tt)*) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) (true) ($h)]] $($rest)*)
    };
    (@parse $b:tt [($i:tt $v:ident) $($is:tt)*] [$($branches:tt)*]
        $p:pat = $f:expr => $h:expr) => {
        $crate::select!(@parse $b [$($is)*] [$($branches)* [$i $v ($p) ($f) (true) ($h)]])
    };
    // The branches are polled here rather than by `tokio::select!` (whose polling order is
    // its own): one expansion step per branch, so 64 branches stay within the default
    // recursion limit, and the code grows with the branches, not with their square.
    (@emit $b:tt $else:tt [$([$i:tt $v:ident ($p:pat) ($($f:tt)*) ($($c:tt)*) ($($h:tt)*)])+]) => {{
        // One variant per branch, holding its output; the type parameters are the outputs' types.
        #[allow(non_camel_case_types)]
        enum __Output<$($v),+> {
            $($v($v),)+
            Disabled,
        }
        let __select = $crate::__private::Select::new([$($i),+].len(), $b);
        // As tokio: every precondition, then every future, in the order written.
        let mut __disabled: u64 = 0;
        $(
            if !($($c)*) {
                __disabled |= 1 << $i;
            }
        )+
        // Polled in a block of its own: the futures (and their borrows) are dropped, the
        // losers cancelled, before the handler runs. Mutable: a pattern may bind `ref mut`.
        #[allow(unused_mut)]
        let mut __output = {
            // The futures as written first, so that their temporaries live as long as they do.
            let __written = ($($($f)*,)+);
            let mut __futures = ($(__select.branch($i, __written.$i),)+);
            let __futures = &mut __futures;
            ::core::future::poll_fn(|__cx| {
                // As tokio: a task whose budget is spent yields before polling any branch.
                ::core::task::ready!(__select.poll_budget(__cx));
                let mut __pending = false;
                let __count = [$($i),+].len();
                for __turn in 0..__count {
                    match (__select.first() + __turn) % __count {
                        $(
                            // A branch whose future's output is `!` makes the rest unreachable.
                            #[allow(unreachable_code)]
                            $i => {
                                let __mask: u64 = 1 << $i;
                                if __disabled & __mask != 0 {
                                    continue;
                                }
                                // SAFETY: the futures stay in `__futures`, in this frame, until
                                // they are dropped; nothing moves them.
                                let __future = unsafe { ::core::pin::Pin::new_unchecked(&mut __futures.$i) };
                                let __out = match ::core::future::Future::poll(__future, __cx) {
                                    ::core::task::Poll::Ready(out) => out,
                                    ::core::task::Poll::Pending => {
                                        __pending = true;
                                        continue;
                                    }
                                };
                                // Done either way: a branch whose output does not match is disabled.
                                __disabled |= __mask;
                                #[allow(unused_variables, unreachable_patterns)]
                                match &__out {
                                    $crate::__private::select_pattern!($p) => {}
                                    _ => continue,
                                }
                                return ::core::task::Poll::Ready(__Output::$v(__out));
                            }
                        )+
                        _ => ::core::unreachable!("select! chose a branch it does not have"),
                    }
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__Output::Disabled)
                }
            })
            .await
        };
        match __output {
            $(__Output::$v($p) => { $($h)* })+
            __Output::Disabled => $else,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select! chose a branch whose pattern does not match"),
        }
    }};

    // Each branch gets an index and a name for its future, from this list.
    (@start $b:tt $($t:tt)*) => {
        $crate::select!(@parse $b [
            (0 b0) (1 b1) (2 b2) (3 b3) (4 b4) (5 b5) (6 b6) (7 b7) (8 b8) (9 b9) (10 b10) (11 b11)
            (12 b12) (13 b13) (14 b14) (15 b15) (16 b16) (17 b17) (18 b18) (19 b19) (20 b20) (21 b21)
            (22 b22) (23 b23) (24 b24) (25 b25) (26 b26) (27 b27) (28 b28) (29 b29) (30 b30) (31 b31)
            (32 b32) (33 b33) (34 b34) (35 b35) (36 b36) (37 b37) (38 b38) (39 b39) (40 b40) (41 b41)
            (42 b42) (43 b43) (44 b44) (45 b45) (46 b46) (47 b47) (48 b48) (49 b49) (50 b50) (51 b51)
            (52 b52) (53 b53) (54 b54) (55 b55) (56 b56) (57 b57) (58 b58) (59 b59) (60 b60) (61 b61)
            (62 b62) (63 b63)
        ] [] $($t)*)
    };
    (biased; $($t:tt)*) => {
        $crate::select!(@start true $($t)*)
    };
    ($($t:tt)*) => {
        $crate::select!(@start false $($t)*)
    };
}

/// One `select!`: where it is, how many branches it has, which goes first.
#[doc(hidden)]
pub struct Select {
    first: usize,
    at: &'static Location<'static>,
}

impl Select {
    /// Called where the `select!` starts (a scheduling point): picks the first branch.
    #[track_caller]
    pub fn new(branches: usize, biased: bool) -> Select {
        let at = Location::caller();
        engine::scheduling_point();
        let first = if biased || branches < 2 { 0 } else { engine::choose(branches) };
        execution::record_with("select", at, || match (biased, branches) {
            (true, _) => "biased, polls branches in order".into(),
            (false, 1) => "one branch".into(),
            (false, _) => format!("polls branch {first} first"),
        });
        Select { first, at }
    }

    /// The branch polled first.
    pub fn first(&self) -> usize {
        self.first
    }

    /// `Pending` when the task's coop budget is spent (see `task::coop`).
    pub fn poll_budget(&self, cx: &mut Context<'_>) -> Poll<()> {
        engine::poll_budget_available(cx)
    }

    /// Wraps the future of branch `index`.
    pub fn branch<F: IntoFuture>(&self, index: usize, future: F) -> Branch<F::IntoFuture> {
        Branch { future: future.into_future(), index, at: self.at, polled: false, done: false }
    }
}

/// A branch's future: records when it wins, and when it is dropped unfinished (cancelled).
#[doc(hidden)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Branch<F> {
    /// Structurally pinned.
    future: F,
    index: usize,
    at: &'static Location<'static>,
    polled: bool,
    done: bool,
}

impl<F: Future> Future for Branch<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved, not even by `Drop`;
        // the other fields are plain data, never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.polled = true;
        // SAFETY: see above.
        let poll = unsafe { Pin::new_unchecked(&mut this.future) }.poll(cx);
        if poll.is_ready() {
            this.done = true;
            let index = this.index;
            execution::record_with("select", this.at, || format!("branch {index} ready"));
        }
        poll
    }
}

impl<F> Drop for Branch<F> {
    fn drop(&mut self) {
        if self.polled && !self.done {
            // Once an execution stops, the engine drops its tasks: that is not a cancellation of the user's.
            execution::with(|state| {
                if !state.stopping {
                    state.record("select", self.at, Some(|| format!("cancelled branch {}", self.index)));
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::sync::{mpsc, oneshot};
    use crate::time::{Duration, sleep};
    use crate::{FailureKind, Scenario};

    #[test]
    fn the_first_ready_branch_wins_and_its_pattern_binds() {
        crate::check(|| async {
            let (tx, rx) = oneshot::channel::<u32>();
            tx.send(7).unwrap();
            let got = crate::select! {
                Ok(value) = rx => value,
                _ = sleep(Duration::from_secs(1)) => 0,
            };
            assert_eq!(got, 7);
        });
    }

    #[test]
    fn a_branch_whose_pattern_does_not_match_is_disabled() {
        crate::check(|| async {
            let (tx, rx) = oneshot::channel::<u32>();
            drop(tx);
            let start = crate::time::Instant::now();
            let got = crate::select! {
                Ok(value) = rx => value,
                _ = sleep(Duration::from_secs(1)) => 0,
            };
            assert_eq!(got, 0);
            assert_eq!(start.elapsed(), Duration::from_secs(1));
        });
    }

    #[test]
    fn preconditions_else_and_mut_patterns() {
        crate::check(|| async {
            let (tx, mut rx) = mpsc::channel::<String>(1);
            tx.send("a".into()).await.unwrap();
            let mut seen = Vec::new();
            loop {
                crate::select! {
                    Some(mut message) = rx.recv(), if seen.is_empty() => {
                        message.push('!');
                        seen.push(message);
                    }
                    else => break,
                }
            }
            assert_eq!(seen, ["a!"]);
        });
    }

    // After tokio's `mut_ref_patterns` (macros_select.rs): a pattern binds by `ref mut`
    // and its handler changes the output in place.
    #[test]
    fn a_pattern_may_bind_by_mutable_reference() {
        crate::check(|| async {
            let grown = crate::select! {
                Some(ref mut text) = async { Some("1".to_string()) } => {
                    text.push('2');
                    text.clone()
                },
            };
            assert_eq!(grown, "12");
        });
    }

    // After tokio's `async_never` branches (macros_select.rs): a branch whose future never
    // completes (output `!`) makes no warning, as tokio's expansion makes none.
    #[test]
    #[deny(unreachable_code)]
    fn a_branch_of_type_never_makes_no_warning() {
        async fn never() -> ! {
            std::future::pending::<()>().await;
            unreachable!()
        }
        crate::check(|| async {
            let one = crate::select! {
                _ = never() => 0,
                one = async { 1 } => one,
            };
            assert_eq!(one, 1);
        });
    }

    #[test]
    fn without_else_all_disabled_panics_as_tokio() {
        let report = Scenario::new("select::all_disabled").iterations(5).run(|| async {
            crate::select! {
                _ = sleep(Duration::from_secs(1)), if false => {},
            }
        });
        let failure = report.failure().expect("the panic is reported");
        assert_eq!(failure.kind(), FailureKind::Panic);
        assert!(failure.message().contains("all branches are disabled"), "{report}");
    }

    #[test]
    fn which_branch_goes_first_is_explored() {
        // Both branches are ready at once: only the choice of the first decides.
        let report = Scenario::new("select::first").iterations(200).run(|| async {
            let first = crate::select! {
                () = std::future::ready(()) => 0,
                () = std::future::ready(()) => 1,
                () = std::future::ready(()) => 2,
            };
            assert_ne!(first, 2, "the third branch won");
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Panic), "{report}");
    }

    #[test]
    fn biased_polls_in_order() {
        crate::check(|| async {
            for _ in 0..10 {
                let first = crate::select! {
                    biased;
                    () = std::future::ready(()) => 0,
                    () = std::future::ready(()) => 1,
                };
                assert_eq!(first, 0);
            }
        });
    }

    #[test]
    fn the_losers_are_dropped_before_the_handler_runs() {
        crate::check(|| async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let handled = Arc::new(AtomicUsize::new(0));
            crate::select! {
                _ = rx.recv() => unreachable!("nothing was sent"),
                () = crate::task::yield_now() => {
                    // `rx.recv()` borrowed `rx` mutably: it is gone by now.
                    rx.close();
                    handled.fetch_add(1, Ordering::SeqCst);
                }
            }
            assert!(tx.send(1).await.is_err());
            assert_eq!(handled.load(Ordering::SeqCst), 1);
        });
    }

    #[test]
    fn the_trace_shows_the_cancelled_branch() {
        let report = Scenario::new("select::trace").iterations(1).run(|| async {
            let (_tx, rx) = oneshot::channel::<u32>();
            crate::select! {
                _ = rx => {},
                _ = sleep(Duration::from_millis(10)) => {},
            }
            assert_eq!(1, 2, "show the report");
        });
        let text = report.to_string();
        assert!(text.contains("select branch 1 ready"), "{text}");
        assert!(text.contains("select cancelled branch 0"), "{text}");
    }

    #[tokio::test]
    async fn outside_a_run_it_is_tokios() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        tx.send(3).unwrap();
        let got = crate::select! {
            Ok(value) = rx => value,
            _ = sleep(Duration::from_secs(5)) => 0,
        };
        assert_eq!(got, 3);
    }
}
