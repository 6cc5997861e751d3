//! Buffering the request payload within the body limit.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// Why the body could not be buffered.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// More than the limit arrived; reading stopped there.
    TooLarge,
    /// The connection failed mid-body.
    Read(PayloadError),
}

/// Reads the whole payload, stopping as soon as it grows past `limit`, so at most `limit`
/// bytes are ever held. A body that arrives in one chunk is returned without a copy.
pub(crate) async fn read_within(
    mut payload: Payload,
    limit: usize,
    content_length: Option<u64>,
) -> Result<Bytes, ReadError> {
    // Never trust the announced length for more than the limit.
    let capacity = content_length.map_or(0, |length| {
        usize::try_from(length).map_or(limit, |length| length.min(limit))
    });
    let mut buffer = Buffer::Empty;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(ReadError::Read)?;
        if chunk.is_empty() {
            continue;
        }
        let total = buffer.len().saturating_add(chunk.len());
        if total > limit {
            return Err(ReadError::TooLarge);
        }
        buffer.push(chunk, capacity.max(total));
    }
    Ok(buffer.freeze())
}

/// The bytes read so far: no allocation for the common single-chunk body.
enum Buffer {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Buffer {
    fn len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::One(bytes) => bytes.len(),
            Self::Many(bytes) => bytes.len(),
        }
    }

    fn push(&mut self, chunk: Bytes, capacity: usize) {
        *self = match std::mem::replace(self, Self::Empty) {
            Self::Empty => Self::One(chunk),
            Self::One(first) => {
                let mut joined = BytesMut::with_capacity(capacity);
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&chunk);
                Self::Many(joined)
            }
            Self::Many(mut joined) => {
                joined.extend_from_slice(&chunk);
                Self::Many(joined)
            }
        };
    }

    fn freeze(self) -> Bytes {
        match self {
            Self::Empty => Bytes::new(),
            Self::One(bytes) => bytes,
            Self::Many(bytes) => bytes.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn chunked(chunks: &[&'static [u8]]) -> Payload {
        let items: Vec<Result<Bytes, PayloadError>> = chunks
            .iter()
            .map(|chunk| Ok(Bytes::from_static(chunk)))
            .collect();
        Payload::from(Box::pin(stream::iter(items)) as actix_http::BoxedPayloadStream)
    }

    #[actix_rt::test]
    async fn joins_chunks_within_the_limit() {
        let body = read_within(chunked(&[b"ab", b"", b"cd", b"e"]), 5, None)
            .await
            .unwrap();
        assert_eq!(&body[..], b"abcde");
    }

    #[actix_rt::test]
    async fn single_chunk_is_not_copied() {
        let body = read_within(chunked(&[b"abc"]), 5, Some(3)).await.unwrap();
        assert_eq!(&body[..], b"abc");
    }

    #[actix_rt::test]
    async fn stops_at_the_limit() {
        let result = read_within(chunked(&[b"abc", b"def"]), 5, None).await;
        assert!(matches!(result, Err(ReadError::TooLarge)));
    }

    #[actix_rt::test]
    async fn a_huge_announced_length_allocates_no_more_than_the_limit() {
        let body = read_within(chunked(&[b"a", b"b"]), 4, Some(u64::MAX))
            .await
            .unwrap();
        assert_eq!(&body[..], b"ab");
    }

    #[actix_rt::test]
    async fn read_errors_are_reported() {
        let items: Vec<Result<Bytes, PayloadError>> = vec![
            Ok(Bytes::from_static(b"a")),
            Err(PayloadError::Incomplete(None)),
        ];
        let payload =
            Payload::from(Box::pin(stream::iter(items)) as actix_http::BoxedPayloadStream);
        let result = read_within(payload, 10, None).await;
        assert!(matches!(result, Err(ReadError::Read(_))));
    }
}
