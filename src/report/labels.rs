//! The words of the reports and of the CLI tables in each language. Every visible string of
//! the page, its charts and the `--format table` output comes from here, so a language is one
//! value of [`Labels`]. Amounts are written by [`crate::lang::amount`].

pub use crate::lang::{Lang, UnknownLang};

impl Lang {
    /// The `lang` attribute of the HTML page.
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The labels of this language.
    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// Every string the report shows.
#[derive(Debug, serde::Serialize)]
pub struct Labels {
    /// Page title prefix.
    pub title: &'static str,
    /// The money unit shown on axes and in tables.
    pub unit: &'static str,
    /// CNY per display unit.
    #[serde(skip)]
    pub unit_yuan: f64,
    /// Metadata captions.
    pub scenario: &'static str,
    /// Seed caption.
    pub seed: &'static str,
    /// Paths caption.
    pub paths: &'static str,
    /// Model caption.
    pub model: &'static str,
    /// Initial capital caption.
    pub initial_capital: &'static str,
    /// Heading of the key figures.
    pub key_figures: &'static str,
    /// Horizon shortfall probability.
    pub shortfall_horizon: &'static str,
    /// Credit enabled.
    pub credit_enabled: &'static str,
    /// Leverage achieved.
    pub leverage_achieved: &'static str,
    /// Public cost per yuan of credit.
    pub cost_per_credit: &'static str,
    /// Fan chart title.
    pub fan_title: &'static str,
    /// Year axis.
    pub year: &'static str,
    /// Balance axis.
    pub balance: &'static str,
    /// Median line.
    pub median: &'static str,
    /// Mean line.
    pub mean: &'static str,
    /// Note under the fan chart when lower quantiles are present.
    pub fan_note_full: &'static str,
    /// Note under the fan chart when only upper quantiles are present.
    pub fan_note_upper: &'static str,
    /// Histogram title.
    pub hist_title: &'static str,
    /// Histogram x axis.
    pub hist_x: &'static str,
    /// Histogram y axis.
    pub hist_y: &'static str,
    /// Shown when the result has no histogram.
    pub hist_missing: &'static str,
    /// VaR 99 marker.
    pub var99: &'static str,
    /// ES 99 marker.
    pub es99: &'static str,
    /// Shortfall chart title.
    pub shortfall_title: &'static str,
    /// Shortfall axis.
    pub shortfall_y: &'static str,
    /// Note under the shortfall chart.
    pub shortfall_note: &'static str,
    /// Heading of the per-year table.
    pub by_year: &'static str,
    /// Heading of the horizon table.
    pub horizon: &'static str,
    /// Column: quantity.
    pub quantity: &'static str,
    /// Column: loans enrolled.
    pub loans_enrolled: &'static str,
    /// Column / row: loans refused by the leverage limit.
    pub loans_refused: &'static str,
    /// Column / row: defaults.
    pub defaults: &'static str,
    /// Row: gross loss.
    pub gross_loss: &'static str,
    /// Row: fund claims.
    pub fund_claims: &'static str,
    /// Row: fund paid.
    pub fund_paid: &'static str,
    /// Row: bank loss.
    pub bank_loss: &'static str,
    /// Row: other parties' loss.
    pub other_parties_loss: &'static str,
    /// Row: subsidies.
    pub subsidies: &'static str,
    /// Column: balance median.
    pub balance_p50: &'static str,
    /// Column: balance 5th percentile.
    pub balance_p05: &'static str,
    /// Column: shortfall probability.
    pub shortfall: &'static str,
    /// Column: pause probability.
    pub pause: &'static str,
    /// Column: standard error.
    pub stderr: &'static str,
    /// Explanation of the terms, shown at the bottom.
    pub definitions: &'static str,
    /// "(mean)" suffix for per-year columns.
    pub mean_suffix: &'static str,
    /// Column: count or money unit.
    pub unit_col: &'static str,
    /// The unit word for counts.
    pub loans_unit: &'static str,
    /// Lifetime shortfall probability.
    pub shortfall_lifetime: &'static str,
    /// Key figure: how the paths were importance-sampled.
    pub importance_sampling: &'static str,
    /// Peak leverage.
    pub peak_leverage: &'static str,
    /// Credit per yuan of public money.
    pub credit_per_public_yuan: &'static str,
    /// Heading of the plain-language reading.
    pub reading: &'static str,
    /// Heading of the assumptions.
    pub assumptions: &'static str,
    /// Assumption rows.
    pub book: &'static str,
    /// Scheme row.
    pub scheme: &'static str,
    /// Fund rules row.
    pub fund_rules: &'static str,
    /// Risk row.
    pub risk: &'static str,
    /// Heading of the enrolment table.
    pub enrolment: &'static str,
    /// Column: refused by pause.
    pub refused_paused: &'static str,
    /// Column: ineligible.
    pub ineligible: &'static str,
    /// Column: principal enrolled.
    pub principal_enrolled: &'static str,
    /// Heading of the period table.
    pub periods: &'static str,
    /// Column: run-off.
    pub run_off: &'static str,
    /// Column: lifetime.
    pub lifetime: &'static str,
    /// Row: buyer outlay.
    pub buyer_outlay: &'static str,
    /// Row: recoveries to the fund.
    pub recoveries_to_fund: &'static str,
    /// Row: public cost.
    pub public_cost: &'static str,
    /// Months word.
    pub months: &'static str,
    /// "mean (p99)" note.
    pub mean_p99: &'static str,
}

/// English labels.
pub static EN: Labels = Labels {
    title: "Risk-compensation fund simulation",
    unit: "CNY m",
    unit_yuan: 1e6,
    scenario: "Scenario",
    seed: "Seed",
    paths: "Paths",
    model: "Model",
    initial_capital: "Initial capital",
    key_figures: "Key figures over the horizon",
    shortfall_horizon: "Shortfall probability (some claim not paid in full)",
    credit_enabled: "Credit enabled (mean principal enrolled)",
    leverage_achieved: "Leverage achieved (credit / fund money)",
    cost_per_credit: "Public cost per yuan of credit",
    fan_title: "Fund balance at year end",
    year: "Year",
    balance: "Balance (CNY m)",
    median: "median",
    mean: "mean",
    fan_note_full: "Bands: 1–99 % (lightest), 5–95 %, 25–50 %; line: median; dots: mean.",
    fan_note_upper: "Bands: median–95 % and 95–99 % (the result carries no lower quantiles); line: median; dots: mean.",
    hist_title: "Fund claims over the lifetime (horizon + run-off), across paths",
    hist_x: "Claims (CNY m)",
    hist_y: "Share of paths (%)",
    hist_missing: "This result carries no per-path histogram of claims (written by an engine version without it); the VaR and ES figures are in the table.",
    var99: "VaR 99",
    es99: "ES 99",
    shortfall_title: "Shortfall probability by year",
    shortfall_y: "Probability (%)",
    shortfall_note: "Whiskers: ± 2 standard errors.",
    by_year: "By year",
    horizon: "Horizon totals",
    quantity: "Quantity",
    loans_enrolled: "Loans enrolled",
    loans_refused: "Refused (leverage limit)",
    defaults: "Defaults",
    gross_loss: "Gross principal loss",
    fund_claims: "Fund claims (owed)",
    fund_paid: "Fund paid",
    bank_loss: "Bank loss",
    other_parties_loss: "Other parties' loss",
    subsidies: "Subsidies",
    balance_p50: "Balance, median",
    balance_p05: "Balance, p5",
    shortfall: "Shortfall prob.",
    pause: "Pause prob.",
    stderr: "std. error",
    definitions: "Claims are the compensation owed under the scheme's rules before the balance limit; paid is what the fund could pay. Shortfall: some claim could not be paid in full. VaR 99 is the 99th percentile of a quantity across paths, ES 99 the mean of its worst 1 % of paths. Every mean has its standard error; every figure is reproducible from the seed, the path count and the model file (its SHA-256 is above).",
    mean_suffix: "(mean)",
    unit_col: "Unit",
    loans_unit: "loans",
    shortfall_lifetime: "Lifetime shortfall probability (horizon + run-off)",
    importance_sampling: "Importance sampling (factor mean, twist, variance reduction)",
    peak_leverage: "Peak leverage (outstanding enrolled ÷ balance, mean)",
    credit_per_public_yuan: "Credit per yuan of public money",
    reading: "What the result says",
    assumptions: "Assumptions used",
    book: "Loan book",
    scheme: "Scheme",
    fund_rules: "Fund rules",
    risk: "Risk",
    enrolment: "Enrolment and refusals by year (mean loans; principal in CNY m)",
    refused_paused: "Refused (bank paused)",
    ineligible: "Ineligible",
    principal_enrolled: "Principal enrolled",
    periods: "Horizon, run-off and lifetime",
    run_off: "Run-off",
    lifetime: "Lifetime",
    buyer_outlay: "Public buyer outlay",
    recoveries_to_fund: "Recoveries to the fund",
    public_cost: "Public cost",
    months: "months",
    mean_p99: "mean (p99)",
};

/// Chinese labels.
pub static ZH: Labels = Labels {
    title: "风险补偿基金模拟报告",
    unit: "万元",
    unit_yuan: 1e4,
    scenario: "情景",
    seed: "随机种子",
    paths: "模拟路径数",
    model: "模型",
    initial_capital: "初始资金",
    key_figures: "模拟期内主要指标",
    shortfall_horizon: "资金缺口概率（存在未足额补偿的申请）",
    credit_enabled: "撬动贷款（入池本金均值）",
    leverage_achieved: "放大倍数（贷款 / 基金资金）",
    cost_per_credit: "每元贷款的财政成本",
    fan_title: "年末基金余额",
    year: "年度",
    balance: "余额（万元）",
    median: "中位数",
    mean: "均值",
    fan_note_full: "色带：1–99 %（最浅）、5–95 %、25–50 %；实线：中位数；圆点：均值。",
    fan_note_upper: "色带：中位数–95 % 与 95–99 %（结果不含下分位数）；实线：中位数；圆点：均值。",
    hist_title: "全部存续期基金补偿申请额分布",
    hist_x: "补偿申请额（万元）",
    hist_y: "路径占比（%）",
    hist_missing: "该结果不含补偿申请额的逐路径直方图（由不含此项的引擎版本生成）；VaR 与 ES 见下表。",
    var99: "VaR 99",
    es99: "ES 99",
    shortfall_title: "各年度资金缺口概率",
    shortfall_y: "概率（%）",
    shortfall_note: "误差线：± 2 倍标准误。",
    by_year: "分年度",
    horizon: "模拟期合计",
    quantity: "指标",
    loans_enrolled: "入池贷款笔数",
    loans_refused: "因放大倍数上限被拒笔数",
    defaults: "违约笔数",
    gross_loss: "本金损失总额",
    fund_claims: "应补偿额",
    fund_paid: "实际补偿额",
    bank_loss: "银行损失",
    other_parties_loss: "其他分担方损失",
    subsidies: "贴息贴费补贴",
    balance_p50: "余额中位数",
    balance_p05: "余额 p5",
    shortfall: "缺口概率",
    pause: "暂停概率",
    stderr: "标准误",
    definitions: "应补偿额为按补偿规则、在余额限制之前应付的金额；实际补偿额为基金实际支付的金额。资金缺口：存在未能足额支付的补偿申请。VaR 99 为各路径中该指标的 99 % 分位数，ES 99 为最差 1 % 路径的均值。所有均值均附标准误；每个数字均可由随机种子、路径数和模型文件（SHA-256 见上）复现。",
    mean_suffix: "（均值）",
    unit_col: "单位",
    loans_unit: "笔",
    shortfall_lifetime: "存续期资金缺口概率（政策期 + 清算期）",
    importance_sampling: "重要性抽样（因子均值、倾斜、方差缩减倍数）",
    peak_leverage: "峰值放大倍数（在保余额 ÷ 基金余额，均值）",
    credit_per_public_yuan: "每元财政资金撬动贷款",
    reading: "结果解读",
    assumptions: "所用假设",
    book: "贷款组合",
    scheme: "补偿方案",
    fund_rules: "资金池规则",
    risk: "风险参数",
    enrolment: "分年度纳入与拒绝情况（平均笔数；本金单位万元）",
    refused_paused: "因银行暂停被拒",
    ineligible: "不符合准入条件",
    principal_enrolled: "入池本金",
    periods: "政策期、清算期与全部存续期",
    run_off: "清算期",
    lifetime: "全部存续期",
    buyer_outlay: "公共收购支出",
    recoveries_to_fund: "回收返还基金",
    public_cost: "财政成本",
    months: "个月",
    mean_p99: "均值（p99）",
};

/// The words of the CLI's `--format table` output (`value`, `score`, `fund …`); the fund
/// tables also use the row names of [`Labels`]. Amounts in cells are written by
/// [`crate::lang::amount`], so no header names a unit.
#[derive(Debug)]
pub struct TableLabels {
    /// Column: asset id.
    pub id: &'static str,
    /// Column: asset kind.
    pub kind: &'static str,
    /// Column: industry.
    pub industry: &'static str,
    /// Column: remaining legal life in years.
    pub life_years: &'static str,
    /// Column: appraised value.
    pub appraised: &'static str,
    /// Column: mean liquidation value.
    pub liquidation_mean: &'static str,
    /// Column: high-value verdict.
    pub high_value: &'static str,
    /// Column: indicator score and grade.
    pub score: &'static str,
    /// Row: the whole portfolio.
    pub portfolio: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Column: item.
    pub item: &'static str,
    /// Column: value.
    pub value: &'static str,
    /// Row: decision.
    pub decision: &'static str,
    /// Row: borrower.
    pub borrower: &'static str,
    /// Row: loan.
    pub loan: &'static str,
    /// Row: PD one year / over the tenor.
    pub pd: &'static str,
    /// Row: grade.
    pub grade: &'static str,
    /// Row: exposure at default.
    pub ead: &'static str,
    /// Row: LGD gross / net.
    pub lgd: &'static str,
    /// Row: expected loss.
    pub expected_loss: &'static str,
    /// Row: appraised value.
    pub appraised_value: &'static str,
    /// Row: liquidation value.
    pub liquidation_value: &'static str,
    /// Row / column: pledge rate.
    pub pledge_rate: &'static str,
    /// Row: max loan.
    pub max_loan: &'static str,
    /// Row: capital K / RWA.
    pub capital: &'static str,
    /// Row: pricing floor / rate cap.
    pub pricing: &'static str,
    /// Row: compensation scheme.
    pub scheme: &'static str,
    /// Eligible for the scheme.
    pub eligible: &'static str,
    /// Not eligible for the scheme.
    pub not_eligible: &'static str,
    /// Row: green channel.
    pub green_channel: &'static str,
    /// Column: asset.
    pub asset: &'static str,
    /// Column: value grade of a pledged asset.
    pub asset_grade: &'static str,
    /// Column: loan limit of an asset.
    pub limit: &'static str,
    /// Column: effect of a reason.
    pub effect: &'static str,
    /// Column: reason code.
    pub code: &'static str,
    /// Column: reason text.
    pub reason: &'static str,
    /// Months.
    pub months: &'static str,
    /// Decisions: approve, refer, decline.
    pub decisions: [&'static str; 3],
    /// Effects: decline, refer, adverse, favourable.
    pub effects: [&'static str; 4],
    /// Repayment: bullet, annuity, equal principal.
    pub repayments: [&'static str; 3],
    /// Asset kinds, in [`crate::asset::AssetKind::ALL`] order.
    pub kinds: [&'static str; 5],
    /// Industries, in [`crate::asset::Industry::ALL`] order.
    pub industries: [&'static str; 8],
    /// Column: year.
    pub year: &'static str,
    /// Column: defaults.
    pub defaults: &'static str,
    /// Column: gross principal loss.
    pub gross_loss: &'static str,
    /// Column: subsidies.
    pub subsidies: &'static str,
    /// Column: the horizon.
    pub horizon: &'static str,
    /// Column: the run-off.
    pub run_off: &'static str,
    /// Column: the lifetime (horizon and run-off).
    pub lifetime: &'static str,
    /// Column: enrolled loans.
    pub enrolled: &'static str,
    /// Column: refused by the leverage limit.
    pub refused_leverage: &'static str,
    /// Column: refused because the bank was paused.
    pub refused_paused: &'static str,
    /// Column: ineligible.
    pub ineligible: &'static str,
    /// Column: claims.
    pub claims: &'static str,
    /// Column: paid.
    pub paid: &'static str,
    /// Column: year-end balance, mean.
    pub balance_mean: &'static str,
    /// Column: year-end balance, 5th percentile.
    pub balance_p05: &'static str,
    /// Column / row: shortfall probability.
    pub p_shortfall: &'static str,
    /// Column: pause probability.
    pub p_pause: &'static str,
    /// Column / row: lifetime shortfall probability.
    pub p_shortfall_lifetime: &'static str,
    /// Column: standard error.
    pub stderr: &'static str,
    /// Row: principal refused by the leverage limit.
    pub refused_leverage_principal: &'static str,
    /// Row: principal refused because the bank was paused.
    pub refused_paused_principal: &'static str,
    /// Row: ineligible principal.
    pub ineligible_principal: &'static str,
    /// Row / column: credit enabled.
    pub credit_enabled: &'static str,
    /// Column: initial capital.
    pub initial_capital: &'static str,
    /// Column: book multiple.
    pub book_multiple: &'static str,
    /// Column: share refused by the leverage limit.
    pub refused_leverage_share: &'static str,
    /// Column: a grid point.
    pub point: &'static str,
    /// Column: the objective.
    pub objective: &'static str,
    /// Column: budget used.
    pub budget_used: &'static str,
    /// Column: feasible.
    pub feasible: &'static str,
    /// Column: mean claims.
    pub claims_mean: &'static str,
    /// Column: claims p99.
    pub claims_p99: &'static str,
    /// Column: mean paid.
    pub paid_mean: &'static str,
    /// Column: peak leverage.
    pub peak_leverage: &'static str,
    /// Heading before the simulation at a search's answer.
    pub at_answer: &'static str,
    /// Heading of the findings of a comparison.
    pub findings: &'static str,
}

impl Lang {
    /// The words of the CLI tables in this language.
    pub fn table(self) -> &'static TableLabels {
        match self {
            Lang::Zh => &ZH_TABLE,
            Lang::En => &EN_TABLE,
        }
    }
}

/// The label of a compared figure ([`crate::fund::compare::CompareFigures::rows`]) in `lang`,
/// for the `fund compare` page and table; an unknown name is shown as it is.
pub fn compare_figure(name: &str, lang: Lang) -> &str {
    let (zh, en) = match name {
        "lifetime_fund_claims" => ("全周期代偿申请", "lifetime claims"),
        "lifetime_fund_paid" => ("全周期实际代偿", "lifetime paid"),
        "lifetime_bank_loss" => ("全周期银行损失", "lifetime bank loss"),
        "lifetime_other_parties_loss" => ("全周期其他方损失", "lifetime other parties' loss"),
        "lifetime_public_cost" => ("全周期公共成本", "lifetime public cost"),
        "credit_enabled" => ("信贷投放", "credit enabled"),
        "ineligible_principal" => ("不符合条件的本金", "refused: ineligible"),
        "refused_paused_principal" => ("银行暂停拒绝的本金", "refused: bank paused"),
        "refused_leverage_principal" => ("杠杆拒绝的本金", "refused: leverage limit"),
        "peak_leverage" => ("峰值杠杆", "peak leverage"),
        "credit_per_public_yuan" => ("每元公共资金撬动信贷", "credit per public yuan"),
        "horizon_shortfall_probability" => ("资金缺口概率（投放期）", "P(shortfall), horizon"),
        "lifetime_shortfall_probability" => ("资金缺口概率（全周期）", "P(shortfall), lifetime"),
        other => return other,
    };
    lang.pick(zh, en)
}

/// English words of the CLI tables.
pub static EN_TABLE: TableLabels = TableLabels {
    id: "id",
    kind: "kind",
    industry: "industry",
    life_years: "life (y)",
    appraised: "appraised",
    liquidation_mean: "liquidation (mean)",
    high_value: "high value",
    score: "score",
    portfolio: "PORTFOLIO",
    yes: "yes",
    no: "no",
    item: "item",
    value: "value",
    decision: "decision",
    borrower: "borrower",
    loan: "loan",
    pd: "pd 1y / tenor",
    grade: "grade",
    ead: "ead",
    lgd: "lgd gross / net",
    expected_loss: "expected loss",
    appraised_value: "appraised value",
    liquidation_value: "liquidation value",
    pledge_rate: "pledge rate",
    max_loan: "max loan",
    capital: "capital k / rwa",
    pricing: "pricing floor / rate cap",
    scheme: "scheme",
    eligible: "eligible",
    not_eligible: "not eligible",
    green_channel: "green channel",
    asset: "asset",
    asset_grade: "grade",
    limit: "limit",
    effect: "effect",
    code: "code",
    reason: "reason",
    months: "months",
    decisions: ["approve", "refer", "decline"],
    effects: ["decline", "refer", "adverse", "favourable"],
    repayments: ["bullet", "annuity", "equal principal"],
    kinds: [
        "invention",
        "utility_model",
        "design",
        "trademark",
        "software_copyright",
    ],
    industries: [
        "energy_saving_environmental",
        "next_gen_it",
        "biomedicine",
        "high_end_equipment",
        "new_energy",
        "new_materials",
        "new_energy_vehicles",
        "other",
    ],
    year: "year",
    defaults: "defaults",
    gross_loss: "gross loss",
    subsidies: "subsidies",
    horizon: "horizon",
    run_off: "run-off",
    lifetime: "lifetime",
    enrolled: "enrolled",
    refused_leverage: "refused: leverage",
    refused_paused: "refused: paused",
    ineligible: "ineligible",
    claims: "claims",
    paid: "paid",
    balance_mean: "balance end (mean)",
    balance_p05: "balance end (p5)",
    p_shortfall: "P(shortfall)",
    p_pause: "P(pause)",
    p_shortfall_lifetime: "lifetime P(shortfall)",
    stderr: "stderr",
    refused_leverage_principal: "refused: leverage (principal)",
    refused_paused_principal: "refused: paused (principal)",
    ineligible_principal: "ineligible (principal)",
    credit_enabled: "credit enabled",
    initial_capital: "initial capital",
    book_multiple: "book multiple",
    refused_leverage_share: "refused by leverage",
    point: "point",
    objective: "objective",
    budget_used: "budget used",
    feasible: "feasible",
    claims_mean: "claims mean",
    claims_p99: "claims p99",
    paid_mean: "paid mean",
    peak_leverage: "peak leverage",
    at_answer: "simulation at the answer:",
    findings: "what each result says:",
};

/// Chinese words of the CLI tables.
pub static ZH_TABLE: TableLabels = TableLabels {
    id: "编号",
    kind: "类型",
    industry: "产业",
    life_years: "剩余年限（年）",
    appraised: "评估价值",
    liquidation_mean: "处置价值（均值）",
    high_value: "高价值",
    score: "评分",
    portfolio: "组合合计",
    yes: "是",
    no: "否",
    item: "项目",
    value: "数值",
    decision: "审批结论",
    borrower: "借款企业",
    loan: "贷款",
    pd: "违约概率 一年 / 全期",
    grade: "信用等级",
    ead: "违约风险暴露",
    lgd: "违约损失率 总 / 净",
    expected_loss: "预期损失",
    appraised_value: "评估价值",
    liquidation_value: "处置价值",
    pledge_rate: "质押率",
    max_loan: "质押额度",
    capital: "资本 K / 风险加权资产",
    pricing: "定价底线 / 利率上限",
    scheme: "补偿方案",
    eligible: "符合条件",
    not_eligible: "不符合条件",
    green_channel: "绿色通道",
    asset: "知识产权",
    asset_grade: "价值等级",
    limit: "可贷额度",
    effect: "作用",
    code: "代码",
    reason: "理由",
    months: "个月",
    decisions: ["批准", "转人工审查", "拒绝"],
    effects: ["拒绝", "转审", "不利", "有利"],
    repayments: ["到期一次还本", "等额本息", "等额本金"],
    kinds: ["发明专利", "实用新型", "外观设计", "商标", "软件著作权"],
    industries: [
        "节能环保",
        "新一代信息技术",
        "生物医药",
        "高端装备制造",
        "新能源",
        "新材料",
        "新能源汽车",
        "其他",
    ],
    year: "年度",
    defaults: "违约笔数",
    gross_loss: "本金损失",
    subsidies: "贴息贴费补贴",
    horizon: "政策期",
    run_off: "清算期",
    lifetime: "全部存续期",
    enrolled: "纳入笔数",
    refused_leverage: "超放大倍数被拒",
    refused_paused: "银行暂停被拒",
    ineligible: "不符合条件",
    claims: "应补偿额",
    paid: "实际补偿额",
    balance_mean: "年末余额（均值）",
    balance_p05: "年末余额（p5）",
    p_shortfall: "缺口概率",
    p_pause: "暂停概率",
    p_shortfall_lifetime: "存续期缺口概率",
    stderr: "标准误",
    refused_leverage_principal: "超放大倍数被拒（本金）",
    refused_paused_principal: "银行暂停被拒（本金）",
    ineligible_principal: "不符合条件（本金）",
    credit_enabled: "撬动贷款",
    initial_capital: "初始资金",
    book_multiple: "贷款规模倍数",
    refused_leverage_share: "超放大倍数被拒比例",
    point: "参数组合",
    objective: "目标值",
    budget_used: "已用预算",
    feasible: "可行",
    claims_mean: "应补偿额均值",
    claims_p99: "应补偿额 p99",
    paid_mean: "实际补偿额均值",
    peak_leverage: "峰值放大倍数",
    at_answer: "所得方案下的模拟结果：",
    findings: "各方案结果解读：",
};
/// Every string of the backtest page (`ipledge backtest --report`).
#[derive(Debug, serde::Serialize)]
pub struct BacktestLabels {
    /// Page title.
    pub title: &'static str,
    /// Window caption.
    pub window: &'static str,
    /// Tenant caption.
    pub tenant: &'static str,
    /// Shown for an admin's backtest of every tenant.
    pub all_tenants: &'static str,
    /// Segment caption.
    pub segment: &'static str,
    /// Shown when no segment filter applies.
    pub whole_book: &'static str,
    /// Model caption.
    pub model: &'static str,
    /// Heading of the key figures.
    pub key_figures: &'static str,
    /// Scored applications.
    pub scored: &'static str,
    /// One-year cohort with defaults.
    pub cohort: &'static str,
    /// Overall calibration light.
    pub overall_light: &'static str,
    /// AUC figure.
    pub auc: &'static str,
    /// LGD figure.
    pub lgd: &'static str,
    /// PSI figure.
    pub psi: &'static str,
    /// Calibration chart title.
    pub calibration_title: &'static str,
    /// Calibration chart: observed series.
    pub observed: &'static str,
    /// Calibration chart: predicted series.
    pub predicted: &'static str,
    /// Calibration chart y axis.
    pub default_rate: &'static str,
    /// Calibration chart x axis.
    pub grade: &'static str,
    /// Calibration chart note.
    pub calibration_note: &'static str,
    /// ROC chart title.
    pub roc_title: &'static str,
    /// ROC x axis.
    pub fpr: &'static str,
    /// ROC y axis.
    pub tpr: &'static str,
    /// ROC chance line.
    pub chance: &'static str,
    /// ROC chart note.
    pub roc_note: &'static str,
    /// Shown instead of the ROC chart when there are too few defaults.
    pub roc_missing: &'static str,
    /// Calibration table heading.
    pub calibration_table: &'static str,
    /// Column headers of the calibration table.
    pub calibration_header: [&'static str; 10],
    /// The overall row's label.
    pub all: &'static str,
    /// Discrimination table heading.
    pub discrimination_table: &'static str,
    /// Defaults count caption.
    pub defaults: &'static str,
    /// Non-defaults count caption.
    pub non_defaults: &'static str,
    /// Standard error caption.
    pub stderr: &'static str,
    /// 95 % interval caption.
    pub ci95: &'static str,
    /// LGD table heading.
    pub lgd_table: &'static str,
    /// Column headers of the LGD table.
    pub lgd_header: [&'static str; 7],
    /// LGD table note.
    pub lgd_note: &'static str,
    /// Stability table heading.
    pub stability_table: &'static str,
    /// Column headers of the PSI table.
    pub psi_header: [&'static str; 6],
    /// Stability note.
    pub stability_note: &'static str,
    /// Status words: green, yellow, red, insufficient data, ok.
    pub status: [&'static str; 5],
    /// PSI bands: stable, watch, shift.
    pub bands: [&'static str; 3],
    /// Definitions paragraph.
    pub definitions: &'static str,
}

/// English backtest labels.
pub static BACKTEST_EN: BacktestLabels = BacktestLabels {
    title: "Model backtest",
    window: "Scored",
    tenant: "Tenant",
    all_tenants: "all tenants",
    segment: "Segment",
    whole_book: "whole book",
    model: "Thresholds from model",
    key_figures: "Key figures",
    scored: "Applications scored",
    cohort: "One-year cohort: loans / defaults",
    overall_light: "PD calibration, whole cohort",
    auc: "AUC ± standard error",
    lgd: "LGD realised / predicted (mean)",
    psi: "PSI of the grade distribution",
    calibration_title: "One-year default rate by grade",
    observed: "observed (95 % Jeffreys interval)",
    predicted: "predicted PD (mean)",
    default_rate: "Default rate (%)",
    grade: "Grade",
    calibration_note: "Dots: observed default rate D/N with its 95 % Jeffreys interval; diamonds: mean predicted one-year PD. A diamond below the interval means the PD is too low.",
    roc_title: "ROC curve of the one-year PD",
    fpr: "Non-defaulters flagged (false positive rate)",
    tpr: "Defaulters flagged (true positive rate)",
    chance: "chance",
    roc_note: "Each point flags every loan at or above a PD; the area under the curve is the AUC.",
    roc_missing: "Too few defaulted or non-defaulted loans for the ROC curve and the AUC.",
    calibration_table: "PD calibration (Jeffreys and binomial tests)",
    calibration_header: [
        "Grade",
        "N",
        "Defaults D",
        "Observed DR",
        "Jeffreys 95 % interval",
        "Mean PD",
        "Expected defaults",
        "Jeffreys p",
        "Binomial p",
        "Light",
    ],
    all: "all",
    discrimination_table: "Discrimination",
    defaults: "defaulted loans",
    non_defaults: "non-defaulted loans",
    stderr: "standard error (DeLong)",
    ci95: "95 % interval",
    lgd_table: "Realised against predicted LGD (resolved defaults)",
    lgd_header: [
        "Predicted LGD",
        "N",
        "Mean realised",
        "± std. error",
        "Mean predicted",
        "Exposure-weighted realised",
        "Status",
    ],
    lgd_note: "Realised LGD = (exposure − recoveries discounted to the default date) / exposure, over defaults whose latest report says recovered; defaults still in workout are counted apart.",
    stability_table: "Stability of the grade distribution",
    psi_header: [
        "Grade",
        "Base N",
        "Base share",
        "Recent N",
        "Recent share",
        "PSI term",
    ],
    stability_note: "Base: the first half of the window; recent: the second. PSI below the watch level: stable; between watch and shift: watch; above shift: significant shift.",
    status: ["green", "yellow", "red", "insufficient data", "ok"],
    bands: ["stable", "watch", "shift"],
    definitions: "The one-year cohort holds the loans whose first year after scoring is known: defaulted within it, or reported performing (or repaid) after it. Jeffreys p = Beta(D + ½, N − D + ½) CDF at the mean PD; binomial p = P(X ≥ D) for X ~ Binomial(N, PD). Light: green p ≥ green level, yellow down to the red level, red below; a row with fewer loans than the model's minimum is not tested. Every figure shows the number of loans it rests on.",
};

/// Chinese backtest labels.
pub static BACKTEST_ZH: BacktestLabels = BacktestLabels {
    title: "模型回测报告",
    window: "评分日期",
    tenant: "机构",
    all_tenants: "全部机构",
    segment: "细分",
    whole_book: "全部贷款",
    model: "阈值来源模型",
    key_figures: "关键指标",
    scored: "已评分申请",
    cohort: "一年观察队列：贷款数 / 违约数",
    overall_light: "PD 校准（全队列）",
    auc: "AUC ± 标准误",
    lgd: "LGD 实际 / 预测（均值）",
    psi: "评级分布稳定性指数 PSI",
    calibration_title: "各评级一年违约率",
    observed: "实际违约率（95 % Jeffreys 区间）",
    predicted: "预测 PD（均值）",
    default_rate: "违约率（%）",
    grade: "评级",
    calibration_note: "圆点：实际违约率 D/N 及其 95 % Jeffreys 区间；菱形：平均预测一年期 PD。菱形低于区间说明 PD 偏低。",
    roc_title: "一年期 PD 的 ROC 曲线",
    fpr: "误判正常贷款比例（假阳性率）",
    tpr: "识别违约贷款比例（真阳性率）",
    chance: "随机",
    roc_note: "每个点表示将 PD 不低于某阈值的贷款标记为高风险；曲线下面积即 AUC。",
    roc_missing: "违约或未违约贷款太少，无法给出 ROC 曲线和 AUC。",
    calibration_table: "PD 校准（Jeffreys 检验与二项检验）",
    calibration_header: [
        "评级",
        "N",
        "违约数 D",
        "实际违约率",
        "Jeffreys 95 % 区间",
        "平均 PD",
        "预期违约数",
        "Jeffreys p 值",
        "二项 p 值",
        "信号灯",
    ],
    all: "合计",
    discrimination_table: "区分能力",
    defaults: "违约贷款",
    non_defaults: "未违约贷款",
    stderr: "标准误（DeLong）",
    ci95: "95 % 区间",
    lgd_table: "实际与预测 LGD（已结清违约）",
    lgd_header: [
        "预测 LGD",
        "N",
        "实际均值",
        "± 标准误",
        "预测均值",
        "敞口加权实际值",
        "状态",
    ],
    lgd_note: "实际 LGD =（违约敞口 − 折现至违约日的回收额）/ 违约敞口，仅计最新报告为已回收（recovered）的违约；仍在清收中的违约单独计数。",
    stability_table: "评级分布稳定性",
    psi_header: [
        "评级",
        "基期数量",
        "基期占比",
        "近期数量",
        "近期占比",
        "PSI 分项",
    ],
    stability_note: "基期：窗口前半段；近期：后半段。PSI 低于关注线为稳定，介于关注线与偏移线之间需关注，高于偏移线为显著偏移。",
    status: ["绿灯", "黄灯", "红灯", "数据不足", "正常"],
    bands: ["稳定", "关注", "偏移"],
    definitions: "一年观察队列：评分后第一年结果已知的贷款——一年内违约，或一年后仍报告正常（或已结清）。Jeffreys p = Beta(D + ½, N − D + ½) 在平均 PD 处的分布函数值；二项 p = P(X ≥ D)，X ~ 二项(N, PD)。信号灯：p 不低于绿灯线为绿灯，介于红灯线与绿灯线之间为黄灯，低于红灯线为红灯；贷款数少于模型最低要求的行不做检验。每个数字都注明其所依据的贷款数。",
};

impl Lang {
    /// The backtest page's labels in this language.
    pub fn backtest_labels(self) -> &'static BacktestLabels {
        match self {
            Lang::Zh => &BACKTEST_ZH,
            Lang::En => &BACKTEST_EN,
        }
    }
}
