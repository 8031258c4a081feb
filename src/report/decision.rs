//! The pages of the bureau's decision tools: `fund size`, `capacity`, `compare` and
//! `optimise`. One template (`decision.html.j2`, the style of the simulation report): the
//! answer as key figures, a plain reading, a chart, then tables. Words in Chinese or English;
//! amounts in the unit of the language (万元 / CNY m).

use minijinja::value::Serde;
use minijinja::{Environment, context};
use plotters::prelude::*;
use serde::Serialize;

use super::{Fmt, KeyFigure, Lang, ReportError, STYLE, pct};
use crate::fund::FundResult;
use crate::fund::capacity::{CapacityBinding, CapacityResult};
use crate::fund::compare::{CompareColumn, CompareResult, Figure, OWN};
use crate::fund::optimise::{OptimisePoint, OptimiseResult};
use crate::fund::size::{Binding, SizeResult};

const TEMPLATE: &str = include_str!("decision.html.j2");

/// One table of a page.
#[derive(Serialize)]
struct Table {
    /// Text cells that wrap (sentences) rather than one-line figures.
    wrap: bool,
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    note: String,
}

/// A page before rendering.
struct Page {
    title: String,
    scenario: String,
    meta: String,
    answer_title: String,
    figures: Vec<KeyFigure>,
    reading: Vec<String>,
    chart_svg: String,
    chart_note: String,
    tables: Vec<Table>,
}

fn render(page: Page, lang: Lang) -> Result<String, ReportError> {
    let mut env = Environment::new();
    env.add_template("decision.html", TEMPLATE)?;
    Ok(env.get_template("decision.html")?.render(context! {
        lang => lang.html_code(),
        style => STYLE,
        title => page.title,
        scenario => page.scenario,
        meta => page.meta,
        answer_title => page.answer_title,
        figures => Serde(page.figures),
        reading => Serde(page.reading),
        chart_svg => page.chart_svg,
        chart_note => page.chart_note,
        tables => Serde(page.tables),
    })?)
}

/// Chooses the words of the page's language.
#[derive(Clone, Copy)]
struct Words {
    lang: Lang,
    zh: bool,
    fmt: Fmt,
    unit: &'static str,
}

impl Words {
    fn new(lang: Lang) -> Self {
        let labels = lang.labels();
        Words {
            lang,
            zh: lang == Lang::Zh,
            fmt: Fmt {
                unit: labels.unit_yuan,
            },
            unit: labels.unit,
        }
    }

    fn t(self, zh: &str, en: &str) -> String {
        if self.zh { zh } else { en }.to_string()
    }

    /// A standalone amount, as [`crate::lang::amount`] writes it.
    fn money(self, yuan: f64) -> String {
        crate::lang::amount(self.lang, yuan)
    }

    fn meta(self, scenario: &str, seed: u64, paths: u64, model: &str) -> String {
        if self.zh {
            format!("情景：{scenario} · 随机种子 {seed} · 路径 {paths} · 模型 {model}")
        } else {
            format!("Scenario: {scenario} · seed {seed} · {paths} paths · model {model}")
        }
    }

    /// A probability with its error; none of the paths: the 95 % upper bound 3/N.
    fn probability(self, p: f64, se: f64, paths: u64) -> String {
        if p == 0.0 {
            format!("< {} (0 / {paths})", pct(3.0 / paths.max(1) as f64))
        } else {
            format!("{} ± {}", pct(p), pct(se))
        }
    }

    /// The simulation at an answer, as a table of its main figures.
    fn at_answer(self, r: &FundResult) -> Table {
        let h = &r.horizon;
        let l = &r.lifetime;
        let rows = vec![
            vec![
                self.t(
                    "信贷投放（入池本金）",
                    "credit enabled (principal enrolled)",
                ),
                self.money(h.credit_enabled.mean),
            ],
            vec![
                self.t("杠杆拒绝的本金", "principal refused by the leverage limit"),
                self.money(h.refused_leverage_principal.mean),
            ],
            vec![
                self.t("全周期代偿申请", "lifetime claims"),
                self.money(l.fund_claims.mean),
            ],
            vec![
                self.t("全周期实际代偿", "lifetime paid"),
                self.money(l.fund_paid.mean),
            ],
            vec![
                self.t("全周期公共成本", "lifetime public cost"),
                self.money(l.public_cost.mean),
            ],
            vec![
                self.t("全周期资金缺口概率", "lifetime P(shortfall)"),
                self.probability(
                    l.shortfall_probability,
                    l.shortfall_probability_stderr,
                    r.paths,
                ),
            ],
        ];
        Table {
            wrap: false,
            title: self.t("答案处的模拟", "The simulation at the answer"),
            header: vec![self.t("指标", "figure"), self.t("均值", "mean")],
            rows,
            note: r
                .reading
                .iter()
                .map(|f| {
                    if self.zh {
                        f.zh.as_str()
                    } else {
                        f.en.as_str()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The page of `fund size`.
pub fn render_size(r: &SizeResult, lang: Lang) -> Result<String, ReportError> {
    let w = Words::new(lang);
    let binding = match r.binding {
        Binding::Leverage => w.t(
            "杠杆上限：资本需要为整个贷款组合留出入池空间",
            "the leverage limit: the capital must leave room to enrol the book",
        ),
        Binding::Shortfall => w.t(
            "资金缺口目标：资本需要支付代偿",
            "the shortfall target: the capital must pay the claims",
        ),
    };
    let figures = vec![
        KeyFigure::owned(
            w.t("所需初始资本", "initial capital needed"),
            w.money(r.initial_capital.to_f64()),
        ),
        KeyFigure::owned(w.t("约束", "binding"), binding),
        KeyFigure::owned(
            w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
            w.probability(
                r.shortfall_probability,
                r.shortfall_probability_stderr,
                r.paths,
            ),
        ),
        KeyFigure::owned(
            w.t("入池所需资本", "capital for leverage"),
            w.money(r.capital_for_leverage.to_f64()),
        ),
        KeyFigure::owned(
            w.t("代偿所需资本", "capital for shortfall"),
            w.money(r.capital_for_shortfall.to_f64()),
        ),
    ];
    let mut rows = Vec::new();
    if let (Some(b), Some(p)) = (r.bracket.below, r.bracket.below_shortfall_probability) {
        rows.push(vec![w.money(b.to_f64()), pct(p), w.t("不满足", "fails")]);
    }
    rows.push(vec![
        w.money(r.bracket.above.to_f64()),
        pct(r.bracket.above_shortfall_probability),
        w.t("满足", "meets"),
    ]);
    let page = Page {
        title: w.t(
            "风险补偿资金池：资本规模",
            "Risk-compensation fund: capital needed",
        ),
        scenario: r.scenario.clone(),
        meta: w.meta(&r.scenario, r.seed, r.paths, &r.model_id),
        answer_title: w.t("答案", "Answer"),
        figures,
        reading: vec![if w.zh {
            format!(
                "使全周期资金缺口概率不超过 {}、且杠杆上限拒绝的本金不超过无限资本时可入池本金的 {} 的最小初始资本；在同一组违约抽样上重算账本 {} 次。",
                pct(r.target_shortfall_probability),
                pct(1.0 - r.min_enrolled_share),
                r.ledger_passes
            )
        } else {
            format!(
                "The smallest initial capital with a lifetime shortfall probability of at most {} whose leverage limit refuses at most {} of the principal that unlimited capital would enrol; {} ledger passes on one draw of defaults.",
                pct(r.target_shortfall_probability),
                pct(1.0 - r.min_enrolled_share),
                r.ledger_passes
            )
        }],
        chart_svg: String::new(),
        chart_note: String::new(),
        tables: vec![
            Table {
                wrap: false,
                title: w.t("搜索区间", "Bracket"),
                header: vec![
                    w.t("初始资本", "initial capital"),
                    w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
                    w.t("结果", "criteria"),
                ],
                rows,
                note: String::new(),
            },
            w.at_answer(&r.result),
        ],
    };
    render(page, lang)
}

/// The page of `fund capacity`.
pub fn render_capacity(r: &CapacityResult, lang: Lang) -> Result<String, ReportError> {
    let w = Words::new(lang);
    let binding = match r.binding {
        CapacityBinding::Shortfall => w.t(
            "资金缺口目标：更大组合的代偿超出资金",
            "the shortfall target: a bigger book's claims outrun the money",
        ),
        CapacityBinding::Leverage => w.t(
            "杠杆上限：资本没有空间让更大的组合入池",
            "the leverage limit: no room to enrol a bigger book",
        ),
        CapacityBinding::MaxMultiple => w.t(
            "直至最大倍数均未触及约束",
            "nothing up to the largest multiple tried",
        ),
    };
    let figures = vec![
        KeyFigure::owned(
            w.t("可承载的贷款组合倍数", "book multiple carried"),
            format!("{}×", r.book_multiple),
        ),
        KeyFigure::owned(
            w.t("信贷投放", "credit enabled"),
            format!(
                "{} ± {}",
                w.money(r.credit_enabled),
                w.fmt.money(r.credit_enabled_stderr)
            ),
        ),
        KeyFigure::owned(
            w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
            w.probability(
                r.shortfall_probability,
                r.shortfall_probability_stderr,
                r.paths,
            ),
        ),
        KeyFigure::owned(w.t("约束", "binding"), binding),
    ];
    let mut rows = vec![vec![
        format!("{}×", r.bracket.below),
        pct(r.bracket.below_shortfall_probability),
        String::new(),
        w.t("满足", "carried"),
    ]];
    if let (Some(a), Some(p), Some(s)) = (
        r.bracket.above,
        r.bracket.above_shortfall_probability,
        r.bracket.above_refused_leverage_share,
    ) {
        rows.push(vec![
            format!("{a}×"),
            pct(p),
            pct(s),
            w.t("不满足", "fails"),
        ]);
    }
    let page = Page {
        title: w.t(
            "风险补偿资金池：可承载规模",
            "Risk-compensation fund: capacity",
        ),
        scenario: r.scenario.clone(),
        meta: w.meta(&r.scenario, r.seed, r.paths, &r.model_id),
        answer_title: w.t("答案", "Answer"),
        figures,
        reading: vec![if w.zh {
            format!(
                "现有资本可承载计划贷款组合的 {} 倍（{} 笔，本金 {}），全周期资金缺口概率不超过 {}；抽样 {} 次，重算账本 {} 次。",
                r.book_multiple,
                r.loans,
                w.money(r.principal),
                pct(r.target_shortfall_probability),
                r.draws,
                r.ledger_passes
            )
        } else {
            format!(
                "The capital carries {}× the planned book ({} loans, {} of principal) with a lifetime shortfall probability of at most {}; {} draws of defaults, {} ledger passes.",
                r.book_multiple,
                r.loans,
                w.money(r.principal),
                pct(r.target_shortfall_probability),
                r.draws,
                r.ledger_passes
            )
        }],
        chart_svg: String::new(),
        chart_note: String::new(),
        tables: vec![
            Table {
                wrap: false,
                title: w.t("搜索区间", "Bracket"),
                header: vec![
                    w.t("倍数", "multiple"),
                    w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
                    w.t("杠杆拒绝比例", "refused by leverage"),
                    w.t("结果", "criteria"),
                ],
                rows,
                note: String::new(),
            },
            w.at_answer(&r.result),
        ],
    };
    render(page, lang)
}

/// The label of a compared figure ([`super::labels::compare_figure`]).
fn compare_label(name: &str, w: Words) -> String {
    super::labels::compare_figure(name, w.lang).to_string()
}

fn column_name(c: &CompareColumn, w: Words) -> String {
    if c.label == OWN {
        format!("{} {}", c.scheme, w.t("（情景本身）", "(scenario's own)"))
    } else {
        c.label.clone()
    }
}

/// The page of `fund compare`: the schemes side by side.
pub fn render_compare(r: &CompareResult, lang: Lang) -> Result<String, ReportError> {
    let w = Words::new(lang);
    let mut header = vec![String::new()];
    header.extend(r.schemes.iter().map(|c| column_name(c, w)));
    let rows: Vec<Vec<String>> = r.schemes.first().map_or_else(Vec::new, |first| {
        (0..first.figures.rows().len())
            .map(|i| {
                let mut row = vec![compare_label(first.figures.rows()[i].0, w)];
                row.extend(r.schemes.iter().map(|c| match c.figures.rows()[i].1 {
                    Figure::Money(m) => w.fmt.money(m.mean),
                    Figure::Times(m) => format!("{:.2}×", m.mean),
                    Figure::Ratio(x) => format!("{x:.2}"),
                    Figure::Probability(p) => w.probability(p.p, p.stderr, r.paths),
                }));
                row
            })
            .collect()
    });
    let figures = r
        .schemes
        .iter()
        .map(|c| {
            KeyFigure::owned(
                column_name(c, w),
                format!(
                    "{} · {}",
                    w.money(c.figures.credit_enabled.mean),
                    w.probability(
                        c.figures.lifetime_shortfall.p,
                        c.figures.lifetime_shortfall.stderr,
                        r.paths
                    )
                ),
            )
        })
        .collect();
    let chart = compare_chart(r, w)?;
    let page = Page {
        title: w.t("风险补偿方案比较", "Compensation schemes compared"),
        scenario: r.scenario.clone(),
        meta: w.meta(&r.scenario, r.seed, r.paths, &r.model_id),
        answer_title: w.t(
            "各方案：信贷投放 · 全周期资金缺口概率",
            "Each scheme: credit enabled · lifetime P(shortfall)",
        ),
        figures,
        reading: vec![w.t(
            &format!(
                "同一贷款组合、同一组违约抽样（公共随机数）：差异只来自方案规则。抽样 {} 次，重算账本 {} 次。",
                r.simulations, r.ledger_passes
            ),
            &format!(
                "One book and one draw of defaults for every scheme (common random numbers): the differences come from the rules alone. {} draws, {} ledger passes.",
                r.simulations, r.ledger_passes
            ),
        )],
        chart_svg: chart,
        chart_note: w.t(
            &format!("全周期均值（{}）", w.unit),
            &format!("Lifetime means ({})", w.unit),
        ),
        tables: vec![
            Table {
                wrap: false,
                title: w.t("并列比较（均值）", "Side by side (means)"),
                header,
                rows,
                note: w.t(
                    "金额为路径均值；概率附标准误。",
                    "Amounts are means over paths; probabilities carry their standard error.",
                ),
            },
            Table {
                wrap: true,
                title: w.t("各方案的解读", "What each scheme's result says"),
                header: vec![w.t("方案", "scheme"), w.t("解读", "reading")],
                rows: r
                    .schemes
                    .iter()
                    .flat_map(|c| {
                        c.result.reading.iter().map(move |f| {
                            vec![
                                column_name(c, w),
                                if w.zh { f.zh.clone() } else { f.en.clone() },
                            ]
                        })
                    })
                    .collect(),
                note: String::new(),
            },
        ],
    };
    render(page, lang)
}

const BLUE: RGBColor = RGBColor(31, 94, 168);
const RED: RGBColor = RGBColor(196, 46, 46);
const ORANGE: RGBColor = RGBColor(214, 120, 20);
const GREY: RGBColor = RGBColor(150, 150, 150);
const GREEN: RGBColor = RGBColor(60, 140, 80);

fn chart_err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Grouped bars: for each scheme, lifetime claims, paid, bank loss and public cost.
fn compare_chart(r: &CompareResult, w: Words) -> Result<String, ReportError> {
    type Series = (String, RGBColor, fn(&CompareColumn) -> f64);
    let series: [Series; 4] = [
        (w.t("代偿申请", "claims"), BLUE, |c| {
            c.figures.fund_claims.mean
        }),
        (w.t("实际代偿", "paid"), GREEN, |c| {
            c.figures.fund_paid.mean
        }),
        (w.t("银行损失", "bank loss"), ORANGE, |c| {
            c.figures.bank_loss.mean
        }),
        (w.t("公共成本", "public cost"), RED, |c| {
            c.figures.public_cost.mean
        }),
    ];
    let n = r.schemes.len().max(1) as f64;
    let unit = w.fmt.unit;
    let top = r
        .schemes
        .iter()
        .flat_map(|c| series.iter().map(move |(_, _, get)| get(c) / unit))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..n, 0.0..top)
            .map_err(chart_err)?;
        let names: Vec<String> = r.schemes.iter().map(|c| column_name(c, w)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(w.unit)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        // Each scheme's name over its group of bars.
        chart
            .draw_series(names.iter().enumerate().map(|(i, name)| {
                Text::new(
                    name.clone(),
                    (i as f64 + 0.1, top * 0.97),
                    ("sans-serif", 14).into_font(),
                )
            }))
            .map_err(chart_err)?;
        for (k, (name, color, get)) in series.iter().enumerate() {
            let bar = 0.8 / series.len() as f64;
            chart
                .draw_series(r.schemes.iter().enumerate().map(|(i, c)| {
                    let x0 = i as f64 + 0.1 + k as f64 * bar;
                    Rectangle::new([(x0, 0.0), (x0 + bar * 0.9, get(c) / unit)], color.filled())
                }))
                .map_err(chart_err)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(svg.replace(r#" xmlns="http://www.w3.org/2000/svg""#, ""))
}

fn point_text(p: &OptimisePoint) -> String {
    p.point
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The page of `fund optimise`: the optimum, the frontier chart and every point.
pub fn render_optimise(r: &OptimiseResult, lang: Lang) -> Result<String, ReportError> {
    let w = Words::new(lang);
    // Amounts (credit enabled) in the page's unit; rates and multiples as they are.
    let money = r.objective == "credit_enabled";
    let number = move |v: f64| {
        if money {
            w.fmt.money(v)
        } else {
            format!("{}", (v * 1e6).round() / 1e6)
        }
    };
    let objective = |p: &OptimisePoint| match p.objective_stderr {
        Some(se) if se > 0.0 => format!("{} ± {}", number(p.objective), number(se)),
        _ => number(p.objective),
    };
    let objective_name = if money {
        format!("{} ({})", r.objective, w.unit)
    } else {
        r.objective.clone()
    };
    let mut figures = Vec::new();
    match &r.optimum {
        Some(o) => {
            figures.push(KeyFigure::owned(objective_name.clone(), objective(o)));
            figures.push(KeyFigure::owned(
                w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
                w.probability(
                    o.shortfall_probability,
                    o.shortfall_probability_stderr,
                    r.paths,
                ),
            ));
            figures.push(KeyFigure::owned(
                w.t("信贷投放", "credit enabled"),
                w.money(o.credit_enabled),
            ));
            figures.push(KeyFigure::owned(
                w.t("预算使用", "budget used"),
                w.money(o.budget_used),
            ));
        }
        None => figures.push(KeyFigure::owned(
            w.t("最优点", "optimum"),
            w.t(
                "没有网格点满足缺口目标（和预算）",
                "no grid point meets the shortfall target (and the budget)",
            ),
        )),
    }
    let mut reading = Vec::new();
    if let Some(o) = &r.optimum {
        reading.push(format!("{}: {}", w.t("最优点", "Optimum"), point_text(o)));
    }
    reading.push(if w.zh {
        format!(
            "在全周期资金缺口概率不超过 {}{} 的约束下最大化 {}：评估 {} 个网格点，抽样 {} 次，重算账本 {} 次（公共随机数）。",
            pct(r.max_shortfall_probability),
            r.budget
                .map_or_else(String::new, |b| format!("、预算 {}", w.money(b.to_f64()))),
            r.objective,
            r.points.len(),
            r.simulations,
            r.ledger_passes
        )
    } else {
        format!(
            "Maximise {} subject to a lifetime shortfall probability of at most {}{}: {} grid points, {} draws of defaults, {} ledger passes (common random numbers).",
            r.objective,
            pct(r.max_shortfall_probability),
            r.budget.map_or_else(String::new, |b| format!(
                " and a budget of {}",
                w.money(b.to_f64())
            )),
            r.points.len(),
            r.simulations,
            r.ledger_passes
        )
    });
    if let Some(f) = &r.refinement {
        reading.push(if w.zh {
            format!(
                "沿 {} 细化：{} 满足，{} 不满足（另评估 {} 点）。",
                f.key, f.feasible, f.infeasible, f.points
            )
        } else {
            format!(
                "Refined along {}: {} is feasible, {} is not ({} more points).",
                f.key, f.feasible, f.infeasible, f.points
            )
        });
    }
    let header = {
        let mut h = r.keys.clone();
        h.extend([
            objective_name.clone(),
            w.t("全周期资金缺口概率", "lifetime P(shortfall)"),
            w.t("信贷投放", "credit enabled"),
            w.t("预算使用", "budget used"),
            w.t("可行", "feasible"),
        ]);
        h
    };
    let row = |p: &OptimisePoint| {
        let mut cells: Vec<String> = r
            .keys
            .iter()
            .map(|k| p.point.get(k).map(|v| v.to_string()).unwrap_or_default())
            .collect();
        cells.extend([
            objective(p),
            w.probability(
                p.shortfall_probability,
                p.shortfall_probability_stderr,
                r.paths,
            ),
            w.fmt.money(p.credit_enabled),
            w.fmt.money(p.budget_used),
            if p.feasible {
                w.t("是", "yes")
            } else {
                w.t("否", "no")
            },
        ]);
        cells
    };
    let page = Page {
        title: w.t("风险补偿资金池：政策优化", "Risk-compensation fund: policy optimisation"),
        scenario: r.scenario.clone(),
        meta: w.meta(&r.scenario, r.seed, r.paths, &r.model_id),
        answer_title: w.t("最优点", "Optimum"),
        figures,
        reading,
        chart_svg: optimise_chart(r, w)?,
        chart_note: w.t(
            "每个网格点：目标值与全周期资金缺口概率；蓝色可行，灰色不可行，红色为最优点，虚线为缺口目标。",
            "Every grid point: objective against lifetime shortfall probability; blue feasible, grey not, red the optimum, the dashed line the shortfall target.",
        ),
        tables: vec![
            Table {
                wrap: false,
                title: w.t("帕累托前沿", "Pareto frontier"),
                header: header.clone(),
                rows: r.frontier.iter().map(row).collect(),
                note: w.t(
                    "预算内、目标值与缺口概率均不被其他点同时超越的点。",
                    "Points within budget that no other point beats on both the objective and the shortfall probability.",
                ),
            },
            Table {
                wrap: false,
                title: w.t("全部网格点", "Every grid point"),
                header,
                rows: r.points.iter().map(row).collect(),
                note: String::new(),
            },
        ],
    };
    render(page, lang)
}

/// Scatter of objective (x) against lifetime shortfall probability (y, %).
fn optimise_chart(r: &OptimiseResult, w: Words) -> Result<String, ReportError> {
    let scale = if r.objective == "credit_enabled" {
        w.fmt.unit
    } else {
        1.0
    };
    let x_desc = if scale == 1.0 {
        r.objective.clone()
    } else {
        format!("{} ({})", r.objective, w.unit)
    };
    let pts: Vec<&OptimisePoint> = r
        .points
        .iter()
        .filter(|p| p.objective.is_finite())
        .collect();
    if pts.is_empty() {
        return Ok(String::new());
    }
    let (mut x0, mut x1) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.objective / scale), b.max(p.objective / scale))
        });
    if x1 - x0 < 1e-12 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    let pad = (x1 - x0) * 0.05;
    let y1 = pts
        .iter()
        .map(|p| 100.0 * p.shortfall_probability)
        .fold(100.0 * r.max_shortfall_probability, f64::max)
        .max(0.1)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..y1)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc.as_str())
            .y_desc(w.t("全周期资金缺口概率 (%)", "lifetime P(shortfall) (%)"))
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        let target = 100.0 * r.max_shortfall_probability;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0 - pad, target), (x1 + pad, target)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(chart_err)?;
        chart
            .draw_series(pts.iter().map(|p| {
                let c = if p.feasible { BLUE } else { GREY };
                Circle::new(
                    (p.objective / scale, 100.0 * p.shortfall_probability),
                    4,
                    c.filled(),
                )
            }))
            .map_err(chart_err)?;
        let mut frontier: Vec<(f64, f64)> = r
            .frontier
            .iter()
            .map(|p| (p.objective / scale, 100.0 * p.shortfall_probability))
            .collect();
        frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(frontier, BLUE.stroke_width(1)))
            .map_err(chart_err)?;
        if let Some(o) = &r.optimum {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (o.objective / scale, 100.0 * o.shortfall_probability),
                    7,
                    RED.stroke_width(3),
                )))
                .map_err(chart_err)?;
        }
        root.present().map_err(chart_err)?;
    }
    Ok(svg.replace(r#" xmlns="http://www.w3.org/2000/svg""#, ""))
}
