//! The bundled synthetic sample: regenerated from its recipe byte for byte, and it loads into the chain the
//! recipe describes.

use volscope::io::{load_bytes, LoadOptions, SourceFormat};
use volscope::market::{BuildOptions, ForwardSource, QuoteStatus};
use volscope::sample::{generate_sample_csv, sample_model_vol, SAMPLE_CSV, SAMPLE_PATH, SAMPLE_SEED};

#[test]
fn the_bundled_file_is_what_the_recipe_generates() {
    let on_disk = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE_PATH)).unwrap();
    let regenerated = generate_sample_csv(SAMPLE_SEED);
    assert!(on_disk == regenerated, "assets sample is stale: run `cargo run -- sample` and commit it");
    assert_eq!(SAMPLE_CSV, on_disk, "the binary embeds the same file");
    assert_ne!(generate_sample_csv(SAMPLE_SEED + 1), regenerated, "the seed matters");
}

#[test]
fn the_sample_loads_as_a_deribit_like_btc_chain() {
    let raw = load_bytes(SAMPLE_CSV.as_bytes(), SAMPLE_PATH, &LoadOptions::default()).unwrap();
    assert_eq!(raw.format, SourceFormat::DeribitCollectorCsv);
    assert_eq!(raw.report.rejected_count(), 0);
    let snap = raw.snapshot(&BuildOptions::default()).unwrap();
    assert_eq!(snap.underlying, "BTC");
    assert_eq!(snap.slices.len(), 10);
    let mut inside = (0, 0);
    for s in &snap.slices {
        assert_eq!(s.expiry_ms.rem_euclid(86_400_000), 8 * 3_600_000);
        assert!(matches!(s.forward_source, ForwardSource::ExchangeMarks { .. }));
        let expected_forward = 72_000.0 * (0.05 * s.t_years).exp();
        assert!((s.forward / expected_forward - 1.0).abs() < 1e-6, "{} vs {expected_forward}", s.forward);
        for q in &s.quotes {
            let model = sample_model_vol(q.k, s.t_years);
            // Marks are the model price to 8 decimals: the mark vol is the model vol up to that rounding.
            if let Some(mark_iv) = q.mark.iv.filter(|_| q.is_otm() && q.mark.price.unwrap_or(0.0) > 1e-4) {
                assert!((mark_iv - model).abs() < 2e-4, "{}: mark vol {mark_iv} vs model {model}", q.instrument);
            }
            if q.status == QuoteStatus::Ok && q.is_otm() {
                inside.1 += 1;
                if q.bid.iv.unwrap() <= model && model <= q.ask.iv.unwrap() {
                    inside.0 += 1;
                }
            }
        }
    }
    assert!(
        inside.0 as f64 >= 0.95 * inside.1 as f64,
        "model inside bid/ask on {} of {} OTM quotes",
        inside.0,
        inside.1
    );
    let counts = snap.status_counts();
    assert!(counts[&QuoteStatus::Ok] > 800, "{counts:?}");
    assert!(counts[&QuoteStatus::NoBid] > 100, "far wings have no bid: {counts:?}");
}
