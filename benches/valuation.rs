//! Valuation throughput on the shipped 10-patent portfolio
//! (`scenarios/samples/next-gen-it-10.json`) at 10,000 paths: the whole `value_portfolio`
//! (kernel + statistics + scores) on one and two threads, the Monte Carlo kernel alone on one
//! thread, and 10,000 calls of `liquidation_at_default` (what loan scoring runs per
//! application). Throughput is in asset-path-years (periods per path × paths).
//! Run: `cargo bench --bench valuation`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipledge::asset::parse_json;
use ipledge::model::Model;
use ipledge::rng::{Domain, stream};
use ipledge::valuation::{
    DEFAULT_AS_OF, PortfolioValuer, ValuationParams, ValuationSettings, value_portfolio,
};

const PATHS: u64 = 10_000;

fn bench(c: &mut Criterion) {
    let assets = parse_json(include_str!("../scenarios/samples/next-gen-it-10.json"))
        .expect("the sample is valid");
    let model = Model::embedded_default();
    let params = ValuationParams::from_model(&model).expect("the default model is valid");
    let settings = ValuationSettings {
        paths: PATHS,
        seed: 1,
        as_of: DEFAULT_AS_OF,
    };
    let valuer = PortfolioValuer::new(&assets, &params, DEFAULT_AS_OF).expect("valuer");
    let asset_path_years = valuer.periods_per_path() as u64 * PATHS;
    let mut group = c.benchmark_group("valuation");
    group.sample_size(20);
    group.throughput(Throughput::Elements(asset_path_years));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(
            format!("value_portfolio/next-gen-it-10/{PATHS}-paths/{threads}-threads"),
            |b| {
                b.iter(|| {
                    pool.install(|| value_portfolio(&assets, &params, &model, &settings))
                        .expect("runs")
                })
            },
        );
        if threads == 1 {
            group.bench_function(
                format!("kernel/next-gen-it-10/{PATHS}-paths/1-thread"),
                |b| b.iter(|| pool.install(|| valuer.simulate(1, PATHS)).expect("runs")),
            );
        }
    }
    group.throughput(Throughput::Elements(PATHS));
    group.bench_function(
        format!("liquidation_at_default/next-gen-it-10/{PATHS}-calls"),
        |b| {
            b.iter(|| {
                let mut rng = stream(1, Domain::Credit, 0);
                (0..PATHS)
                    .map(|i| valuer.liquidation_at_default(&mut rng, (i % 5) as f64 * 0.5, 0.3))
                    .sum::<f64>()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
