//! Threads the test starts itself (`std::thread::spawn`): racewright neither schedules
//! nor sees them, so what they do is not explored.
//!
//! On Linux a new thread inherits the OS name (`comm`) of the thread that starts it, and
//! keeps it unless it is given a name. The exploration's thread takes an OS name of its
//! own (its Rust name, which panics show, stays the test's): another thread that carries
//! it was started, directly or not, by the code under test. Elsewhere nothing is seen.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The note of a report whose test ran threads of its own.
pub(crate) const NOTE: &str = "the test ran a thread of its own (std::thread::spawn) during the exploration: \
     racewright neither schedules nor sees real threads, so what they do is not explored and their races are not \
     found; spawn a task with racewright::spawn instead (README, \"What racewright cannot see\")";

/// A thread with an OS name no other thread had when it took it.
pub(crate) struct Marked {
    /// Its OS id, as `/proc/self/task` lists it.
    tid: String,
    comm: String,
}

impl Marked {
    /// Gives the calling thread an OS name of its own; `None` where there is no `/proc`.
    pub(crate) fn this_thread() -> Option<Marked> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // `/proc/thread-self` links to `<pid>/task/<tid>`.
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        let tid = link.file_name()?.to_str()?.to_string();
        // At most 15 bytes, the kernel's limit.
        let comm = format!("racewright-{}", NEXT.fetch_add(1, Ordering::Relaxed) % 10_000);
        std::fs::write("/proc/thread-self/comm", &comm).ok()?;
        Some(Marked { tid, comm })
    }

    /// The OS ids of the other threads of the process that carry this thread's OS name now.
    pub(crate) fn offspring(&self) -> Vec<String> {
        let Ok(threads) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
        threads
            .flatten()
            .filter(|thread| {
                thread.file_name() != self.tid.as_str()
                    && std::fs::read_to_string(thread.path().join("comm"))
                        .is_ok_and(|comm| comm.trim_end() == self.comm)
            })
            .filter_map(|thread| thread.file_name().into_string().ok())
            .collect()
    }

    /// Whether another thread than `earlier` carries this thread's OS name now.
    pub(crate) fn has_offspring_besides(&self, earlier: &[String]) -> bool {
        self.offspring().iter().any(|tid| !earlier.contains(tid))
    }
}
