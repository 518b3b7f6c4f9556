//! Subscribing the app to a base's events: Lark sends Lark Base events only for files the app has
//! subscribed to (LARK_API.md). Subscribing again is harmless, so activation always asks.

use crate::base::error::BaseError;
use crate::base::flow::{Base, Lane, TokenSource};
use crate::http::Platform;

pub fn subscribe_url(base_url: &str, file_token: &str) -> String {
    format!("{base_url}/open-apis/drive/v1/files/{file_token}/subscribe?file_type=bitable")
}

/// What to do when Lark refuses: the app must be able to open the base, and hold the permission
/// for its events.
pub const HINT: &str = "give the app access to the base (in the base: ⋯ → More → Add document \
     app), and in the developer console the bitable:app or drive:drive permission and the \
     drive.file.bitable_record_changed_v1 event; then activate the workflow again";

/// Subscribes the app whose token `base.tokens` gives to the base `base.settings.app_token`.
pub async fn subscribe<P: Platform, T: TokenSource>(
    base: &Base<'_, P, T>,
) -> Result<(), BaseError> {
    let s = base.settings();
    let url = subscribe_url(&s.base_url, &s.app_token);
    // Paced with the app's reads: subscribing again changes nothing.
    match base.exchange("POST", url, None, Lane::Read).await {
        Ok(_) => Ok(()),
        Err(mut e) => {
            if !e.is_retryable() {
                e.hint = HINT.to_owned();
            }
            Err(e)
        }
    }
}
