//! SCTBench's `safestack/SafeStack.cpp` (Dmitry Vyukov's lock-free stack, from the
//! Relacy race detector's examples): an ABA problem that hands one element to two tasks.

use std::sync::Arc;

use super::{Atomic, Platform};
use crate::Variant;

/// Tasks that pop and push back, and elements on the stack (the original's three).
pub const TASKS: usize = 3;
/// Pop-and-push rounds of each task.
const ROUNDS: usize = 2;
/// The end of the list, or an element's link taken by a popping task.
const NONE: i64 = -1;

/// A stack of `TASKS` elements kept as indices into an array; each task pops an
/// element, marks it with its own id, checks the mark, and pushes it back, twice.
/// An element owned by two tasks at once shows as a mark overwritten by the other.
///
/// Buggy: the original stack. A pop reads `head`, locks the element's link by swapping
/// `NONE` into it, and compare-and-swaps `head` to the link. When the element was popped
/// and pushed back by others in between, and the element under it was popped meanwhile,
/// the compare-and-swap still sees the same `head` (ABA) and installs a link to an
/// element another task owns: two tasks then pop the same element.
///
/// Fixed: a Treiber stack whose `head` carries a version that every change bumps, so a
/// compare-and-swap fails whenever `head` changed since it was read.
pub async fn program<P: Platform>(variant: Variant) {
    let stack = Arc::new(Stack::<P>::new(TASKS, variant));
    let mut tasks = Vec::new();
    for id in 0..TASKS as i64 {
        let stack = stack.clone();
        tasks.push(P::spawn(async move {
            for _ in 0..ROUNDS {
                let element = loop {
                    if let Some(element) = stack.pop(variant) {
                        break element;
                    }
                    P::yield_now().await;
                };
                stack.values[element].store(id);
                assert_eq!(stack.values[element].load(), id, "two tasks own element {element}");
                stack.push(variant, element);
            }
        }));
    }
    for task in tasks {
        task.await;
    }
}

struct Stack<P: Platform> {
    /// Buggy: the index of the top element. Fixed: the version in the high half, the
    /// index + 1 in the low half (0 for an empty stack).
    head: P::Atomic,
    /// Elements on the stack (the buggy pop's guard).
    count: P::Atomic,
    /// Each element's link to the one under it.
    next: Vec<P::Atomic>,
    /// Each element's mark, written by its owner.
    values: Vec<P::Atomic>,
}

/// The fixed `head`: a version and an index, packed.
fn pack(version: i64, index: i64) -> i64 {
    (version << 32) | (index + 1)
}

fn unpack(head: i64) -> (i64, i64) {
    (head >> 32, (head & 0xffff_ffff) - 1)
}

impl<P: Platform> Stack<P> {
    /// The stack holding `0, 1, .., n - 1`, top first.
    fn new(n: usize, variant: Variant) -> Self {
        let link = |i: usize| if i + 1 < n { i as i64 + 1 } else { NONE };
        let top = match variant {
            Variant::Buggy => 0,
            Variant::Fixed => pack(0, 0),
        };
        Stack {
            head: P::Atomic::new(top),
            count: P::Atomic::new(n as i64),
            next: (0..n).map(|i| P::Atomic::new(link(i))).collect(),
            values: (0..n).map(|_| P::Atomic::new(0)).collect(),
        }
    }

    /// An element, or `None` when it found none to take (the caller yields and retries).
    fn pop(&self, variant: Variant) -> Option<usize> {
        match variant {
            Variant::Buggy => self.pop_swapping_link(),
            Variant::Fixed => self.pop_versioned(),
        }
    }

    fn push(&self, variant: Variant, element: usize) {
        match variant {
            Variant::Buggy => self.push_plain(element),
            Variant::Fixed => self.push_versioned(element),
        }
    }

    /// The original `Pop`, `-1` being `None`.
    fn pop_swapping_link(&self) -> Option<usize> {
        while self.count.load() > 1 {
            let head = self.head.load();
            let next = self.next[head as usize].swap(NONE);
            if next < 0 {
                // Another pop holds the link: the original yields and loops, as the caller does.
                return None;
            }
            if self.head.compare_exchange(head, next).is_ok() {
                self.count.fetch_add(-1);
                return Some(head as usize);
            }
            self.next[head as usize].swap(next);
        }
        None
    }

    /// The original `Push`.
    fn push_plain(&self, element: usize) {
        let mut head = self.head.load();
        loop {
            self.next[element].store(head);
            match self.head.compare_exchange(head, element as i64) {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        self.count.fetch_add(1);
    }

    fn pop_versioned(&self) -> Option<usize> {
        loop {
            let head = self.head.load();
            let (version, top) = unpack(head);
            if top == NONE {
                return None;
            }
            let next = self.next[top as usize].load();
            if self.head.compare_exchange(head, pack(version + 1, next)).is_ok() {
                return Some(top as usize);
            }
        }
    }

    fn push_versioned(&self, element: usize) {
        loop {
            let head = self.head.load();
            let (version, top) = unpack(head);
            self.next[element].store(top);
            if self.head.compare_exchange(head, pack(version + 1, element as i64)).is_ok() {
                return;
            }
        }
    }
}
