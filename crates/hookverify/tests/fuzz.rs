//! Fuzzing on the stable toolchain: seeds from `tests/corpus/` (deliveries as each sender
//! signs them, made by `corpus/make_corpus.py` with Python's `hmac`) mutated at random by
//! proptest, through header parsing of every scheme and whole verification.
//!
//! Properties: nothing panics; a mutated delivery is accepted only when the mutation left
//! its signed content (the signature, id and timestamp headers, the body) as it was, and is
//! refused with its sender named otherwise.
//!
//! A bounded run is part of `cargo test`; a longer one:
//! `HOOKVERIFY_FUZZ_CASES=200000 cargo test -p hookverify --release --test fuzz`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use hookverify::{Provider, Secret, Verifier, VerifyError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The time the corpus was signed at.
const SIGNED_AT: i64 = 1_614_265_330;

/// One seed: headers and body.
#[derive(Debug, Clone)]
struct Delivery {
    name: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn corpus() -> Vec<Delivery> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seeds: Vec<Delivery> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "http"))
        .map(|path| {
            let text = std::fs::read(&path).unwrap();
            let split = text.windows(2).position(|pair| pair == b"\n\n").unwrap();
            let headers = std::str::from_utf8(&text[..split])
                .unwrap()
                .lines()
                .map(|line| {
                    let (name, value) = line.split_once(": ").unwrap();
                    (name.to_owned(), value.as_bytes().to_vec())
                })
                .collect();
            Delivery {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                headers,
                body: text[split + 2..].to_vec(),
            }
        })
        .collect();
    seeds.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(seeds.len() >= 8, "the corpus is missing seeds");
    seeds
}

fn verifier() -> Verifier {
    Verifier::every_sender(Secret::new(SECRET).unwrap())
        .clock(|| SIGNED_AT)
        .build()
}

fn verify(verifier: &Verifier, delivery: &Delivery) -> Result<hookverify::Verified, VerifyError> {
    verifier.verify(&delivery.headers[..], delivery.body.clone())
}

/// Bytes a mutation inserts: the separators and prefixes the parsers look for, and the
/// bytes that break naive parsers.
const INTERESTING: &[u8] = b",= .v1t-0aZ+/\x00\xff\r\n\t\"{}[]:e";

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8, times: usize },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (
            any::<usize>(),
            prop::sample::select(INTERESTING),
            1usize..64
        )
            .prop_map(|(at, byte, times)| Mutation::Insert { at, byte, times }),
        (any::<usize>(), 1usize..32).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 1usize..512).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match *mutation {
        Mutation::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
        Mutation::Insert { at, byte, times } => {
            let at = at % (len + 1);
            bytes.splice(at..at, std::iter::repeat_n(byte, times));
        }
        Mutation::Delete { at, len: cut } if len > 0 => {
            let at = at % len;
            bytes.drain(at..(at + cut).min(len));
        }
        Mutation::Duplicate { at, len: copy } if len > 0 => {
            let at = at % len;
            let piece = bytes[at..(at + copy).min(len)].to_vec();
            bytes.splice(at..at, piece);
        }
        _ => {}
    }
}

fn cases() -> u32 {
    std::env::var("HOOKVERIFY_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn every_seed_verifies_as_it_was_signed() {
    let verifier = verifier();
    for seed in corpus() {
        let verified =
            verify(&verifier, &seed).unwrap_or_else(|error| panic!("{}: {error}", seed.name));
        let sender = if seed.name == "svix" {
            "standard-webhooks"
        } else {
            &seed.name
        };
        assert_eq!(verified.provider().name(), sender);
    }
}

/// Mutated header values of every scheme: never a panic; accepted only when unchanged in
/// substance, and a refusal names the seed's sender.
#[test]
fn mutated_headers_are_refused_or_unchanged() {
    let verifier = verifier();
    let seeds = corpus();
    let strategy = (
        0..seeds.len(),
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 1..6),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(seed, header, mutations)| {
            let mut delivery = seeds[seed].clone();
            let header = header.index(delivery.headers.len());
            let original = delivery.headers[header].1.clone();
            for mutation in &mutations {
                apply(&mut delivery.headers[header].1, mutation);
            }
            let outcome = verify(&verifier, &delivery);
            if let Err(error) = &outcome {
                prop_assert!(
                    error.provider().is_some() || delivery.headers[header].1 != original,
                    "{error:?}"
                );
            }
            if delivery.headers[header].1 == original {
                prop_assert!(outcome.is_ok());
            }
            Ok(())
        })
        .unwrap();
}

/// Mutated bodies under their genuine headers: refused whenever the signed content
/// changed (for PromptLayer, its canonical form), never a panic.
#[test]
fn mutated_bodies_are_refused_unless_their_signed_form_is_unchanged() {
    let verifier = verifier();
    let seeds = corpus();
    let strategy = (0..seeds.len(), prop::collection::vec(mutation(), 1..6));
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(seed, mutations)| {
            let mut delivery = seeds[seed].clone();
            for mutation in &mutations {
                apply(&mut delivery.body, mutation);
            }
            let outcome = verify(&verifier, &delivery);
            let original = &seeds[seed].body;
            let same_signed_form = delivery.body == *original
                || (seeds[seed].name == "promptlayer"
                    && hookverify::canonical::canonical_json(&delivery.body).ok()
                        == hookverify::canonical::canonical_json(original).ok());
            prop_assert_eq!(outcome.is_ok(), same_signed_form, "{:?}", outcome.err());
            Ok(())
        })
        .unwrap();
}

/// Headers of every sender at once, each mutated or not: the delivery is accepted exactly
/// when some sender's headers are intact, whatever the others hold.
#[test]
fn any_intact_sender_among_mutated_ones_verifies() {
    let verifier = verifier();
    let seeds = corpus();
    let strategy = prop::collection::vec(
        (any::<bool>(), prop::collection::vec(mutation(), 1..4)),
        seeds.len(),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases() / 4,
        failure_persistence: None,
        ..Config::default()
    });
    // One body, signed for each sender by its own seed: the generic seed's.
    let generic = seeds
        .iter()
        .find(|seed| seed.name == "generic")
        .unwrap()
        .clone();
    runner
        .run(&strategy, |plan| {
            let mut headers = generic.headers.clone();
            let mut intact = true;
            for ((mutate, mutations), seed) in plan.iter().zip(&seeds) {
                if seed.name == "generic" {
                    if *mutate {
                        for mutation in mutations {
                            apply(&mut headers[0].1, mutation);
                        }
                        // Hex digits in either case name the same tag.
                        let (value, original) = (&headers[0].1, &generic.headers[0].1);
                        intact = value.starts_with(b"sha256=")
                            && value[7..].eq_ignore_ascii_case(&original[7..]);
                    }
                    continue;
                }
                // Other senders' headers, genuine for their own bodies, forged for this one.
                for (name, value) in &seed.headers {
                    let mut value = value.clone();
                    if *mutate {
                        for mutation in mutations {
                            apply(&mut value, mutation);
                        }
                    }
                    headers.push((name.clone(), value));
                }
            }
            let delivery = Delivery {
                name: "mixed".to_owned(),
                headers,
                body: generic.body.clone(),
            };
            let outcome = verify(&verifier, &delivery);
            prop_assert_eq!(outcome.is_ok(), intact, "{:?}", outcome.err());
            if let Ok(verified) = outcome {
                prop_assert_eq!(verified.provider(), Provider::GENERIC);
            }
            Ok(())
        })
        .unwrap();
}
