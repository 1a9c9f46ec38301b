//! The client against a stand-in WeChat Pay (wiremock) signing with the official SDKs' test
//! keys: signed requests, verified answers, errors sorted by outcome, certificate download,
//! notifications; the domain's gateway port over the client.

mod certificates;
mod failures;
mod gateway_payments;
mod gateway_refunds_and_statement;
mod notifications;
mod payments;
mod refunds_and_bills;
mod support;
