//! The conformance table (`hookverify_conformance::cases::CASES`), one `#[test]` per case
//! per adapter: `axum::<case>`, `actix::<case>`.

/// Every case name, once; each adapter gets one test per name.
macro_rules! for_each_case {
    ($generate:ident, $($args:tt)*) => {
        $generate! { ($($args)*);
            vectors,
            missing_signature,
            malformed_signature,
            signature_mismatch,
            too_large_by_content_length,
            too_large_chunked,
            framework_body_extractor,
            promptlayer_body_limit,
            malformed_json,
            too_deep,
            depth_limit_boundary,
            in_flight,
            store_unavailable,
            duplicate,
            strict_422,
            missing_layer,
            other_method,
            nested_layers,
            concurrent_copies,
            handler_fails_once,
            handler_panics_once,
            fail_open,
            secret_rotation,
            provider_restricted,
            verified_extractor,
            client_disconnects,
            promptlayer_extractor,
            python_json_extras,
            sender_timeout,
            handler_outlives_lease,
            crashed_claim_expires,
            natural_wiring_shares_one_store,
            keys_do_not_collide,
            namespaces_keep_layers_apart,
            slow_body_times_out,
            unverified_budget_full,
            unread_body_closes_connection,
            oversize_413_is_readable,
            oversize_awaiting_continue,
            promptlayer_signed_values_only,
            senders_own_libraries,
            timestamp_tolerance,
            two_senders_two_secrets,
            valid_next_to_forged,
        }
    };
}

/// One module per adapter, one test per case.
macro_rules! adapter_tests {
    (($adapter:ident, $spawn:path); $($case:ident,)*) => {
        mod $adapter {
            /// The names of the cases generated for this adapter.
            #[allow(dead_code)]
            pub(super) const GENERATED: &[&str] = &[$(stringify!($case)),*];
            $(
                #[test]
                fn $case() {
                    hookverify_conformance::cases::run(stringify!($case), $spawn);
                }
            )*
        }
    };
}

for_each_case!(
    adapter_tests,
    axum,
    hookverify_conformance::axum_server::spawn
);
for_each_case!(
    adapter_tests,
    actix,
    hookverify_conformance::actix_server::spawn
);

#[test]
fn every_case_in_the_table_has_a_test() {
    let table: Vec<&str> = hookverify_conformance::cases::CASES
        .iter()
        .map(|case| case.name)
        .collect();
    assert_eq!(axum::GENERATED, table.as_slice());
    assert_eq!(actix::GENERATED, table.as_slice());
}
