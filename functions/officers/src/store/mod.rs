//! The tables only this function uses: officers, their activities, and the application rate
//! limit.

pub mod officer_activities;
pub mod officers;
pub mod rate_limits;
