//! A deadline for outbound sends. A 119 centre or SMS gateway that accepts the connection and
//! never answers must not hold the sender (and with it the incident's other notifications and
//! the tick) until the platform gives up; past the deadline the send counts as failed, the row
//! stays in the outbox, and the next send retries it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{Either, select};
use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Resolves once its deadline has passed on the monotonic clock.
struct Sleep {
    deadline: monotonic_clock::Instant,
    /// Spin's executor wakes the task when the clock's pollable is ready; dropping the token
    /// (when the send wins, or on the next poll) drops that registration.
    registration: Option<CancelOnDropToken>,
}

fn sleep(after: Duration) -> Sleep {
    let nanos = u64::try_from(after.as_nanos()).unwrap_or(u64::MAX);
    Sleep {
        deadline: monotonic_clock::now().saturating_add(nanos),
        registration: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.deadline {
            self.registration = None;
            return Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(self.deadline);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        self.registration = Some(token.into());
        Poll::Pending
    }
}

/// `work`'s output, or `None` when `limit` passes first. `work` is then dropped, which for an
/// outbound HTTP request drops (and so abandons) the request in flight.
pub async fn within<T>(limit: Duration, work: impl Future<Output = T>) -> Option<T> {
    match select(pin!(work), pin!(sleep(limit))).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}
