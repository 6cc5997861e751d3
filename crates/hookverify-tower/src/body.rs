//! Reading the request body with a hard cap.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use hookverify::pipeline::{Pipeline, Rejection};
use http_body::Body;
use http_body_util::BodyExt;

/// A boxed error, as tower and axum use.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads `body` to its end, refusing it as soon as it grows past the pipeline's limit. At most
/// `limit` bytes plus one frame are ever held, whatever the sender streams.
pub(crate) async fn read_limited<B>(body: B, pipeline: &Pipeline) -> Result<Bytes, Rejection>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let limit = pipeline.body_limit();
    let mut body = std::pin::pin!(body);
    // The common case, one data frame, is kept without a copy.
    let mut first: Option<Bytes> = None;
    let mut buffer: Option<BytesMut> = None;
    let mut length = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| Pipeline::body_read_failed(BodyError(error.into())))?;
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers carry nothing signed
        };
        let chunk = data.remaining();
        if chunk == 0 {
            continue;
        }
        length = length.saturating_add(chunk);
        if length > limit {
            return Err(pipeline.too_large());
        }
        match (&mut buffer, first.take()) {
            (Some(buffer), _) => buffer.extend_from_slice(&data.copy_to_bytes(chunk)),
            (None, None) => first = Some(data.copy_to_bytes(chunk)),
            (None, Some(head)) => {
                let hint = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
                let capacity = length.saturating_add(hint).min(limit);
                let mut joined = BytesMut::with_capacity(capacity);
                joined.extend_from_slice(&head);
                joined.extend_from_slice(&data.copy_to_bytes(chunk));
                buffer = Some(joined);
            }
        }
    }
    Ok(match (buffer, first) {
        (Some(buffer), _) => buffer.freeze(),
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
    use hookverify::pipeline::WebhookConfig;
    use hookverify::Secret;
    use http_body::Frame;
    use http_body_util::StreamBody;

    use super::*;

    fn pipeline(limit: usize) -> Pipeline {
        let secret = Secret::new("k").unwrap();
        Pipeline::new(WebhookConfig::new(secret).body_limit(limit))
    }

    fn chunks(
        parts: &[&'static [u8]],
    ) -> StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>>> {
        let frames: Vec<Result<Frame<Bytes>, Infallible>> = parts
            .iter()
            .map(|part| Ok(Frame::data(Bytes::from_static(part))))
            .collect();
        StreamBody::new(stream::iter(frames))
    }

    #[tokio::test]
    async fn joins_frames_up_to_the_limit() {
        let read = read_limited(chunks(&[b"ab", b"", b"cd", b"e"]), &pipeline(5)).await;
        assert_eq!(read.ok().as_deref(), Some(&b"abcde"[..]));
    }

    #[tokio::test]
    async fn one_byte_over_is_413() {
        let read = read_limited(chunks(&[b"ab", b"cd", b"ef"]), &pipeline(5)).await;
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { limit: 5 })));
    }

    #[tokio::test]
    async fn stops_reading_at_the_limit() {
        // An endless body: reading must stop once the limit is passed.
        let endless = StreamBody::new(stream::repeat_with(|| {
            Ok::<_, Infallible>(Frame::data(Bytes::from_static(&[0u8; 1024])))
        }));
        let read = read_limited(endless, &pipeline(64 * 1024)).await;
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { .. })));
    }

    #[tokio::test]
    async fn read_error_is_400() {
        let failing = StreamBody::new(stream::iter(vec![Err::<Frame<Bytes>, _>(
            std::io::Error::other("reset"),
        )]));
        let read = read_limited(failing, &pipeline(5)).await;
        assert!(matches!(read, Err(ref rejection) if rejection.status() == 400));
    }
}
