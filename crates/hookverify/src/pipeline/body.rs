//! Reading a request body, from any stream of chunks, within the body limit.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::{Pipeline, Rejection};

/// The error type body streams report, as tower and hyper box them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads `body` to its end, refusing it as soon as it grows past `limit`: at most `limit`
/// bytes plus one chunk are ever held, whatever the sender announces or streams. A body
/// that arrives as one chunk is kept without a copy; otherwise the buffer is sized from
/// `declared` (the `Content-Length`), never beyond the limit.
pub(crate) async fn read_body<S, D, E>(
    body: S,
    pipeline: &Pipeline,
    declared: Option<u64>,
) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
    E: Into<BoxError>,
{
    let limit = pipeline.body_limit();
    let capacity = declared.map_or(0, |length| {
        usize::try_from(length).map_or(limit, |length| length.min(limit))
    });
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut length = 0usize;
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|error| Pipeline::body_read_failed(BodyError(error.into())))?;
        let size = chunk.remaining();
        if size == 0 {
            continue;
        }
        length = length.saturating_add(size);
        if length > limit {
            return Err(pipeline.too_large());
        }
        let chunk = chunk.copy_to_bytes(size);
        match (&mut joined, first.take()) {
            (Some(joined), _) => joined.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(head)) => {
                let mut buffer = BytesMut::with_capacity(capacity.max(length));
                buffer.extend_from_slice(&head);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            }
        }
    }
    Ok(match (joined, first) {
        (Some(joined), _) => joined.freeze(),
        (None, Some(head)) => head,
        (None, None) => Bytes::new(),
    })
}

/// A body read error, as a concrete error type for [`Pipeline::body_read_failed`].
struct BodyError(BoxError);

impl fmt::Debug for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading the request body failed: {}", self.0)
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_util::stream;

    use super::*;
    use crate::pipeline::WebhookConfig;
    use crate::Secret;

    fn pipeline(limit: usize) -> Pipeline {
        Pipeline::new(WebhookConfig::new(Secret::new("k").unwrap()).body_limit(limit))
    }

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, Infallible>> {
        let parts: Vec<Result<Bytes, Infallible>> = parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part)))
            .collect();
        stream::iter(parts)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_util::FutureExt::now_or_never(future).expect("ready streams")
    }

    #[test]
    fn joins_chunks_up_to_the_limit() {
        let read = block_on(read_body(
            chunks(&[b"ab", b"", b"cd", b"e"]),
            &pipeline(5),
            None,
        ));
        assert_eq!(read.ok().as_deref(), Some(&b"abcde"[..]));
    }

    #[test]
    fn one_byte_over_is_413() {
        let read = block_on(read_body(
            chunks(&[b"ab", b"cd", b"ef"]),
            &pipeline(5),
            Some(6),
        ));
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { limit: 5 })));
    }

    #[test]
    fn stops_reading_at_the_limit_whatever_is_announced() {
        let endless = stream::repeat_with(|| Ok::<_, Infallible>(Bytes::from_static(&[0u8; 1024])));
        let read = block_on(read_body(endless, &pipeline(64 * 1024), Some(u64::MAX)));
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { .. })));
    }

    #[test]
    fn a_read_error_is_400() {
        let failing = stream::iter(vec![Err::<Bytes, _>(std::io::Error::other("reset"))]);
        let read = block_on(read_body(failing, &pipeline(5), None));
        assert!(matches!(read, Err(ref rejection) if rejection.status() == 400));
    }
}
