//! Reading a request body, from any stream of chunks, within the body limit.

use std::fmt;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::budget::Reservation;
use super::{Pipeline, Rejection};
use crate::Provider;

/// The error type body streams report, as tower and hyper box them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads `body` to its end within the pipeline's limits:
/// - refused (413) as soon as it grows past the body limit: at most the limit plus one
///   chunk is ever held, whatever the sender announces or streams;
/// - refused (408) when the whole body has not arrived within the body timeout, so a sender
///   trickling bytes cannot hold a connection and its buffer for ever;
/// - refused (503) when the bytes held for all unverified bodies would pass the unverified
///   budget; `reservation` holds this body's share until the caller drops it.
///
/// A body that arrives as one chunk is kept without a copy; otherwise its chunks are kept as
/// they arrived and joined once, so memory follows the bytes received, never what the
/// sender announced.
pub(crate) async fn read_body<S, D, E>(
    body: S,
    pipeline: &Pipeline,
    provider: Provider,
    limit: usize,
    reservation: &mut Reservation,
) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
    E: Into<BoxError>,
{
    let mut reading = std::pin::pin!(read(body, pipeline, provider, limit, reservation));
    // A body already received in full (the common case) is read on the first poll: no
    // timer for it.
    if let Poll::Ready(read) =
        std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await
    {
        return read;
    }
    match tokio::runtime::Handle::try_current() {
        Ok(_) => tokio::time::timeout(pipeline.body_timeout(), reading)
            .await
            .unwrap_or_else(|_| Err(pipeline.body_timed_out(provider))),
        // No timer to bound it with: the limits on size still hold.
        Err(_) => reading.await,
    }
}

async fn read<S, D, E>(
    body: S,
    pipeline: &Pipeline,
    provider: Provider,
    limit: usize,
    reservation: &mut Reservation,
) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
    E: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    // The chunks as they arrived: memory follows the bytes received, with no buffer sized
    // ahead of them, and one copy joins them once the body is complete. The first is kept
    // apart, so a body of one chunk costs no allocation.
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<Bytes> = Vec::new();
    let mut length = 0usize;
    loop {
        // Taken apart in its own statement: no part of the item (its error type need not be
        // `Send`) stays alive across the drain's await below.
        let Some(chunk) = body.next().await else {
            break;
        };
        let mut chunk =
            chunk.map_err(|error| pipeline.body_read_failed(BodyError(error.into()), provider))?;
        let size = chunk.remaining();
        if size == 0 {
            continue;
        }
        length = length.saturating_add(size);
        if length > limit {
            // What was read is of no use now: free it before draining the rest.
            drop(first.take());
            rest.clear();
            drain(body.as_mut()).await;
            return Err(pipeline.too_large(provider, limit));
        }
        if !reservation.grow(size) {
            return Err(pipeline.unverified_budget_full(provider));
        }
        let chunk = chunk.copy_to_bytes(size);
        if first.is_none() {
            first = Some(chunk);
        } else {
            rest.push(chunk);
        }
    }
    Ok(match first {
        None => Bytes::new(),
        Some(only) if rest.is_empty() => only,
        Some(head) => {
            let mut joined = BytesMut::with_capacity(length);
            joined.extend_from_slice(&head);
            for chunk in &rest {
                joined.extend_from_slice(chunk);
            }
            joined.freeze()
        }
    })
}

/// The most of an oversize body read and discarded so that its sender reads the 413.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
/// The longest a drain waits for the next chunk.
const DRAIN_IDLE: Duration = Duration::from_millis(100);
/// The longest an oversize body is drained.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Reads and discards what is left of a refused body, within [`DRAIN_BYTES`] and
/// [`DRAIN_TIME`], stopping when nothing arrives for [`DRAIN_IDLE`]: a sender still writing its body then reads the answer instead of a
/// connection reset under its write. Nothing is kept, and a sender sending more, or more
/// slowly, is cut off.
pub(crate) async fn drain<S, D, E>(body: S)
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
{
    let discard = async {
        let mut body = std::pin::pin!(body);
        let mut drained = 0usize;
        loop {
            // The item is taken apart at once: nothing of it, an error least of all, is
            // held across the next await.
            // A sender that stops sending is not waited for.
            let size = match tokio::time::timeout(DRAIN_IDLE, body.next()).await {
                Ok(Some(Ok(chunk))) => chunk.remaining(),
                _ => return,
            };
            drained = drained.saturating_add(size);
            if drained > DRAIN_BYTES {
                return;
            }
        }
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
    }
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
    use futures_util::StreamExt as _;

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

    fn read_all<S, D, E>(body: S, pipeline: &Pipeline) -> Result<Bytes, Rejection>
    where
        S: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Into<BoxError>,
    {
        let mut reservation = pipeline.reservation();
        block_on(read_body(
            body,
            pipeline,
            Provider::GENERIC,
            pipeline.body_limit(),
            &mut reservation,
        ))
    }

    #[test]
    fn joins_chunks_up_to_the_limit() {
        let read = read_all(chunks(&[b"ab", b"", b"cd", b"e"]), &pipeline(5));
        assert_eq!(read.ok().as_deref(), Some(&b"abcde"[..]));
    }

    #[test]
    fn one_byte_over_is_413() {
        let read = read_all(chunks(&[b"ab", b"cd", b"ef"]), &pipeline(5));
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { limit: 5 })));
    }

    #[test]
    fn a_length_refused_while_the_client_awaits_continue_reads_nothing() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let pipeline = pipeline(1024);
        let signature = format!("sha256={}", "0".repeat(64));
        for (expect, drained) in [(Some("100-continue"), false), (None, true)] {
            let mut headers = vec![
                ("content-length", "4096"),
                ("x-signature-256", signature.as_str()),
            ];
            headers.extend(expect.map(|value| ("expect", value)));
            let polled = std::cell::Cell::new(false);
            let body = chunks(&[&[b' '; 2048], &[b' '; 2048]]).inspect(|_| polled.set(true));
            let received = runtime.block_on(pipeline.receive(&headers[..], body));
            assert!(
                matches!(received, Err(Rejection::PayloadTooLarge { limit: 1024 })),
                "expect {expect:?}: {received:?}"
            );
            // Reading the body would have the server send `100 Continue`: the client would
            // then upload what is refused.
            assert_eq!(polled.get(), drained, "expect {expect:?}: body read");
        }
    }

    #[test]
    fn stops_reading_at_the_limit_whatever_is_announced() {
        let endless = stream::repeat_with(|| Ok::<_, Infallible>(Bytes::from_static(&[0u8; 1024])));
        let read = read_all(endless, &pipeline(64 * 1024));
        assert!(matches!(read, Err(Rejection::PayloadTooLarge { .. })));
    }

    #[test]
    fn bodies_past_the_unverified_budget_are_503() {
        let pipeline =
            Pipeline::new(WebhookConfig::new(Secret::new("k").unwrap()).unverified_bytes_limit(5));
        let mut held = pipeline.reservation();
        assert!(block_on(read_body(
            chunks(&[b"abc"]),
            &pipeline,
            Provider::GENERIC,
            pipeline.body_limit(),
            &mut held
        ))
        .is_ok());
        let refused = read_all(chunks(&[b"ab", b"c"]), &pipeline);
        assert!(
            matches!(refused, Err(ref rejection) if rejection.status() == 503),
            "{refused:?}"
        );
        drop(held);
        assert!(
            read_all(chunks(&[b"ab", b"c"]), &pipeline).is_ok(),
            "given back"
        );
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_408() {
        let pipeline = Pipeline::new(
            WebhookConfig::new(Secret::new("k").unwrap())
                .body_timeout(std::time::Duration::from_millis(50)),
        );
        let trickle =
            stream::iter([Ok::<_, Infallible>(Bytes::from_static(b"{"))]).chain(stream::pending());
        let mut reservation = pipeline.reservation();
        let limit = pipeline.body_limit();
        let read = read_body(
            trickle,
            &pipeline,
            Provider::GENERIC,
            limit,
            &mut reservation,
        )
        .await;
        assert!(
            matches!(read, Err(ref rejection) if rejection.status() == 408),
            "{read:?}"
        );
    }

    #[test]
    fn a_read_error_is_400() {
        let failing = stream::iter(vec![Err::<Bytes, _>(std::io::Error::other("reset"))]);
        let read = read_all(failing, &pipeline(5));
        assert!(matches!(read, Err(ref rejection) if rejection.status() == 400));
    }

    /// A stream of `count` chunks of 16 KiB: no `Content-Length` to refuse it by.
    fn streamed(count: usize) -> impl Stream<Item = Result<Bytes, Infallible>> {
        stream::iter((0..count).map(|_| Ok(Bytes::from_static(&[b' '; 16 * 1024]))))
    }

    #[test]
    fn a_streamed_promptlayer_body_is_cut_off_at_its_lower_limit() {
        use crate::pipeline::{DEFAULT_BODY_LIMIT, DEFAULT_CANONICAL_BODY_LIMIT};
        let pipeline = Pipeline::new(WebhookConfig::new(Secret::new("k").unwrap()));
        let tag = "0".repeat(64);
        let generic = format!("sha256={tag}");
        /// What is sent, its headers, and the limit that must apply.
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], usize);
        let cases: [Case<'_>; 4] = [
            (
                "generic",
                &[("x-signature-256", &generic)],
                DEFAULT_BODY_LIMIT,
            ),
            (
                "promptlayer",
                &[("x-promptlayer-signature", &tag)],
                DEFAULT_CANONICAL_BODY_LIMIT,
            ),
            // Every sender whose header is present is tried: a raw-body header first must
            // not buy the PromptLayer check a larger body.
            (
                "github then promptlayer",
                &[
                    ("x-hub-signature-256", &generic),
                    ("x-promptlayer-signature", &tag),
                ],
                DEFAULT_CANONICAL_BODY_LIMIT,
            ),
            (
                "generic then promptlayer",
                &[
                    ("x-signature-256", &generic),
                    ("x-promptlayer-signature", &tag),
                ],
                DEFAULT_CANONICAL_BODY_LIMIT,
            ),
        ];
        for (what, headers, limit) in cases {
            assert_eq!(pipeline.body_limit_for(headers), limit, "{what}");
            let received = futures_util::FutureExt::now_or_never(
                pipeline.receive(headers, streamed(DEFAULT_CANONICAL_BODY_LIMIT / 16_384 + 1)),
            )
            .expect("ready streams");
            let refused_at = match received {
                Err(Rejection::PayloadTooLarge { limit }) => Some(limit),
                _ => None,
            };
            let expected = (limit == DEFAULT_CANONICAL_BODY_LIMIT).then_some(limit);
            assert_eq!(refused_at, expected, "{what}: 257 KiB streamed");
        }
        // A raw-body sender configured first is the one detected; PromptLayer is still
        // tried, so its limit must still hold.
        let raw_first = Pipeline::new(
            WebhookConfig::builder()
                .sender(crate::senders::GitHub, Secret::new("k").unwrap())
                .sender(crate::senders::PromptLayer, Secret::new("k").unwrap()),
        );
        let both = [
            ("x-hub-signature-256", generic.as_str()),
            ("x-promptlayer-signature", tag.as_str()),
        ];
        assert_eq!(
            raw_first.body_limit_for(&both[..]),
            DEFAULT_CANONICAL_BODY_LIMIT
        );
        let received = futures_util::FutureExt::now_or_never(raw_first.receive(
            &both[..],
            streamed(DEFAULT_CANONICAL_BODY_LIMIT / 16_384 + 1),
        ))
        .expect("ready streams");
        assert!(
            matches!(received, Err(Rejection::PayloadTooLarge { limit }) if limit == DEFAULT_CANONICAL_BODY_LIMIT),
            "{received:?}"
        );
        // Set explicitly, the limit is every sender's.
        let pipeline =
            Pipeline::new(WebhookConfig::new(Secret::new("k").unwrap()).body_limit(1 << 20));
        assert_eq!(
            pipeline.body_limit_for(&[("x-promptlayer-signature", tag.as_str())][..]),
            1 << 20
        );
    }
}
