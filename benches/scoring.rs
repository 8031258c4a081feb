//! Scoring speed: one application pledging 10 invention patents, scored at 10,000
//! paths (valuation and LGD simulation) on one thread, the model's parameters read once as
//! `ipledge serve` does. Target ≤ 10 ms.
//! `cargo bench --bench scoring`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ipledge::credit::application::Application;
use ipledge::credit::score::{ScoreSettings, ScoringParams, score_with};
use ipledge::model::Model;

const PATHS: u64 = 10_000;

/// The approve sample with its portfolio replaced by the 10-patent sample portfolio.
fn ten_patent_application() -> Application {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("sample file");
    let mut app: serde_json::Value =
        serde_json::from_str(&read("scenarios/applications/approve.json")).unwrap();
    let assets: serde_json::Value =
        serde_json::from_str(&read("scenarios/samples/next-gen-it-10.json")).unwrap();
    let list = assets.get("assets").cloned().unwrap_or(assets);
    assert_eq!(list.as_array().map(Vec::len), Some(10));
    app["pledged_assets"] = list;
    Application::from_json(&app.to_string()).expect("a valid application")
}

fn bench(c: &mut Criterion) {
    let app = ten_patent_application();
    let model = Model::embedded_default();
    // Read once, as the server does: the bench times one application, not the model file.
    let params = ScoringParams::from_model(&model).unwrap();
    let settings = ScoreSettings {
        paths: PATHS,
        seed: 1,
        scheme: None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("scoring");
    group.sample_size(20);
    group.bench_function("10 patents, 10k paths, 1 thread", |b| {
        b.iter(|| pool.install(|| score_with(&app, &model, &params, &settings).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
