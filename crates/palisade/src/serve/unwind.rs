//! Runs a request handler on the connection's own task and turns a panic into an answer.
//!
//! Spawning a task per request would give the same isolation (tokio catches a task's panic),
//! but costs a task allocation, a wake-up and a hop through the scheduler for every request.
//! Catching the panic where the future is polled keeps the connection alive just the same.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that yields `Err(payload)` instead of unwinding when the inner future panics.
pub struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchPanic<F> {
    pub fn new(inner: F) -> Self {
        CatchPanic {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The handler's state is dropped after a panic and never polled again, so no broken
        // invariant inside it can be observed: asserting unwind safety is sound here.
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The panic's message, when it has one.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "panic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_and_an_answer_passes_through() {
        let ok = CatchPanic::new(async { 7 }).await;
        assert_eq!(ok.ok(), Some(7));
        let failed = CatchPanic::new(async {
            tokio::task::yield_now().await;
            if std::hint::black_box(true) {
                panic!("handler broke");
            }
            7
        })
        .await;
        match failed {
            Err(payload) => assert_eq!(panic_message(&*payload), "handler broke"),
            Ok(_) => panic!("the panic was not caught"),
        }
    }
}
