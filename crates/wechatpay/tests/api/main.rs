//! The client against a stand-in WeChat Pay (wiremock) signing with the official SDKs' test
//! keys: signed requests, verified answers, errors sorted by outcome, certificate download,
//! notifications.

mod certificates;
mod failures;
mod notifications;
mod payments;
mod refunds_and_bills;
mod support;
