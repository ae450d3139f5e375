//! The queue of waiters that every primitive keeps, written once.
//!
//! Each waiter is given an id when it queues; the future (or blocked call) that queued it
//! keeps the id to find its entry again: to see whether it was served, to refresh its
//! waker, or to leave the queue when it is cancelled. Entries stay in arrival order, which
//! is the order the fair primitives serve them in.

use std::collections::VecDeque;

/// A waiter's place in a [`WaitList`], valid until its entry is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaiterId(u64);

/// Waiters in arrival order, each with what its primitive needs to know of it.
#[derive(Debug)]
pub(crate) struct WaitList<W> {
    /// Invariant: ids are increasing from front to back.
    queue: VecDeque<(WaiterId, W)>,
    next_id: u64,
}

impl<W> Default for WaitList<W> {
    fn default() -> Self {
        WaitList::new()
    }
}

impl<W> WaitList<W> {
    /// An empty list (also in a `const` context).
    pub(crate) const fn new() -> Self {
        WaitList { queue: VecDeque::new(), next_id: 0 }
    }

    /// Queues `waiter` at the back; returns its id.
    pub(crate) fn push(&mut self, waiter: W) -> WaiterId {
        let id = WaiterId(self.next_id);
        self.next_id += 1;
        self.queue.push_back((id, waiter));
        id
    }

    fn position(&self, id: WaiterId) -> Option<usize> {
        // Ids grow along the queue: a binary search finds an entry among many waiters.
        self.queue.binary_search_by_key(&id.0, |(other, _)| other.0).ok()
    }

    /// Whether the waiter `id` is still queued.
    pub(crate) fn contains(&self, id: WaiterId) -> bool {
        self.position(id).is_some()
    }

    /// The waiter `id`, if still queued.
    pub(crate) fn get_mut(&mut self, id: WaiterId) -> Option<&mut W> {
        let position = self.position(id)?;
        Some(&mut self.queue[position].1)
    }

    /// Takes the waiter `id` out of the queue, if still queued.
    pub(crate) fn remove(&mut self, id: WaiterId) -> Option<W> {
        let position = self.position(id)?;
        self.queue.remove(position).map(|(_, waiter)| waiter)
    }

    /// Takes the first waiter out of the queue.
    pub(crate) fn pop_front(&mut self) -> Option<W> {
        self.queue.pop_front().map(|(_, waiter)| waiter)
    }

    /// Takes every waiter out of the queue, in order.
    /// The queue keeps its room for the next waiters.
    pub(crate) fn take_all(&mut self) -> impl Iterator<Item = W> + '_ {
        self.queue.drain(..).map(|(_, waiter)| waiter)
    }

    /// The waiters, first to last.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &W> {
        self.queue.iter().map(|(_, waiter)| waiter)
    }

    /// The waiters, first to last.
    pub(crate) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut W> {
        self.queue.iter_mut().map(|(_, waiter)| waiter)
    }

    /// Whether nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_found_by_id_in_arrival_order_until_removed() {
        let mut list = WaitList::default();
        let ids: Vec<_> = ["a", "b", "c", "d"].into_iter().map(|name| list.push(name)).collect();
        assert_eq!(list.remove(ids[1]), Some("b"));
        assert!(!list.contains(ids[1]) && list.contains(ids[2]));
        assert_eq!(list.get_mut(ids[3]).map(|name| *name), Some("d"));
        assert_eq!(list.iter_mut().next_back().map(|name| *name), Some("d"));
        assert_eq!(list.pop_front(), Some("a"));
        let late = list.push("e");
        assert_eq!(list.take_all().collect::<Vec<_>>(), ["c", "d", "e"]);
        assert!(list.is_empty() && list.remove(late).is_none());
    }
}
