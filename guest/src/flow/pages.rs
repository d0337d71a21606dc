//! Reading a paged listing to its end. Every listing of the contract
//! answers pages with an opaque cursor to the next one (none on the last):
//! a flow reads from a cursor (none: the first page) and hands each page on
//! until the last one, or until it has what it wanted.

use crate::Error;
/// A page of a listing.
pub trait Page {
    /// The cursor of the page after this one; none on the last.
    fn next(&self) -> Option<String>;
}

/// Implements [`Page`] for page records with a `next` field; a flow names
/// its own (its roles' bindings are its own types):
/// `trestle_guest::pages!(order_source::OrderPage, order_source::RefundPage);`
#[macro_export]
macro_rules! pages {
    ($($page:ty),* $(,)?) => {
        $(impl $crate::flow::pages::Page for $page {
            fn next(&self) -> Option<String> {
                self.next.clone()
            }
        })*
    };
}

/// Whether to read on after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Continue,
    /// The reader has what it wanted, or must not go on (a run's limit).
    Stop,
}

/// Reads the pages from `cursor` on, handing each to `each`, until the last
/// page (`Continue`) or until `each` says `Stop` (then `Stop`).
pub fn read_all<P: Page>(
    mut cursor: Option<String>,
    mut read: impl FnMut(Option<&str>) -> Result<P, Error>,
    mut each: impl FnMut(P) -> Result<Step, Error>,
) -> Result<Step, Error> {
    loop {
        let page = read(cursor.as_deref())?;
        let next = page.next();
        if each(page)? == Step::Stop {
            return Ok(Step::Stop);
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(Step::Continue),
        }
    }
}
