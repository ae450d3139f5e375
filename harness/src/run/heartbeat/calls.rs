//! Each task's last racewright call, as its exploring thread tells the watchdog: written at
//! every operation, so without a lock (a lock taken and let go at every operation costs
//! more time than the rest of what racewright adds to it), read by the watchdog only when
//! an execution is stuck.
//!
//! A sequence lock per task: the thread, the only writer, marks its slot as being written
//! (an odd sequence number) while it writes, and the watchdog reads a slot again when a
//! write came in between.

use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence};

/// Tasks of an execution whose last call has a slot; the others' are kept under the lock
/// of the thread's whereabouts.
pub(super) const SLOTS: usize = 64;

/// A task's last call: the operation, where, and at which step.
pub(crate) type Call = (&'static str, &'static Location<'static>, usize);

/// The last call of one task of the thread's current execution.
#[derive(Default)]
pub(super) struct CallSlot {
    /// Odd while a write is under way.
    sequence: AtomicU64,
    /// The execution (the thread's count of them) the call was made in: a slot of an
    /// earlier one is stale.
    execution: AtomicU64,
    operation: AtomicPtr<u8>,
    operation_len: AtomicUsize,
    at: AtomicPtr<Location<'static>>,
    step: AtomicUsize,
    /// The execution in which the task first ran or called, when its name was told (under
    /// the lock, unless it has none of its own): the watchdog's tasks of the execution.
    pub(super) named_in: AtomicU64,
}

impl CallSlot {
    /// Records `call`, made in execution `execution`. Only the slot's thread calls it.
    #[inline]
    pub(super) fn write(&self, execution: u64, (operation, at, step): Call) {
        let sequence = self.sequence.load(Ordering::Relaxed);
        self.sequence.store(sequence + 1, Ordering::Relaxed);
        // The odd number is seen before any of the fields below changes.
        fence(Ordering::Release);
        self.execution.store(execution, Ordering::Relaxed);
        self.operation.store(operation.as_ptr().cast_mut(), Ordering::Relaxed);
        self.operation_len.store(operation.len(), Ordering::Relaxed);
        self.at.store(std::ptr::from_ref(at).cast_mut(), Ordering::Relaxed);
        self.step.store(step, Ordering::Relaxed);
        self.sequence.store(sequence + 2, Ordering::Release);
    }

    /// The call recorded in execution `execution`, if any; `None` as well if the slot was
    /// being written at every try (its thread is not stuck after all).
    pub(super) fn read(&self, execution: u64) -> Option<Call> {
        for _ in 0..100 {
            let before = self.sequence.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let made_in = self.execution.load(Ordering::Relaxed);
            let operation = self.operation.load(Ordering::Relaxed);
            let operation_len = self.operation_len.load(Ordering::Relaxed);
            let at = self.at.load(Ordering::Relaxed);
            let step = self.step.load(Ordering::Relaxed);
            // The fields above are read before the sequence is read again.
            fence(Ordering::Acquire);
            if self.sequence.load(Ordering::Relaxed) != before {
                continue;
            }
            if made_in != execution || at.is_null() {
                return None;
            }
            // SAFETY: an unchanged, even sequence number: the fields are those of one
            // `write`, whose `&'static str` and `&'static Location` they are.
            let call = unsafe {
                let operation = std::str::from_utf8_unchecked(std::slice::from_raw_parts(operation, operation_len));
                (operation, &*at, step)
            };
            return Some(call);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_gives_the_last_call_of_its_execution_only() {
        let slot = CallSlot::default();
        assert_eq!(slot.read(1), None);
        let first = Location::caller();
        slot.write(1, ("Mutex::lock", first, 3));
        slot.write(1, ("AtomicI64::store", first, 7));
        assert_eq!(slot.read(1), Some(("AtomicI64::store", first, 7)));
        // A later execution's tasks have not called yet.
        assert_eq!(slot.read(2), None);
    }

    #[test]
    fn a_reader_never_sees_half_a_write() {
        let slot = std::sync::Arc::new(CallSlot::default());
        let (a, b) = (Location::caller(), Location::caller());
        let writer = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                for step in 0..200_000 {
                    let call = if step % 2 == 0 { ("even", a, step) } else { ("odd!", b, step) };
                    slot.write(1, call);
                }
            })
        };
        while !writer.is_finished() {
            if let Some((operation, at, step)) = slot.read(1) {
                let expected = if step % 2 == 0 { ("even", a) } else { ("odd!", b) };
                assert_eq!((operation, at), expected);
            }
        }
        writer.join().unwrap();
        assert_eq!(slot.read(1).map(|(operation, _, step)| (operation, step)), Some(("odd!", 199_999)));
    }
}
