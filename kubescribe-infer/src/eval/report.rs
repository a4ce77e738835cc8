//! One model's summary of an evaluation run ([`ModelSummary`]), and its
//! tables (JSON, CSV, Markdown) and SVG plots.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use crate::error::InferError;

/// One model's aggregate results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// The generator's name.
    pub model: String,
    /// Samples evaluated.
    pub samples: usize,
    /// Samples whose generation failed (scored as empty output).
    pub errors: usize,
    /// Share of outputs that parse and pass layer-1 validation (0–1).
    pub compile_rate: f64,
    /// Mean coverage of the references' essential resources (0–1), over
    /// samples whose reference is a valid policy.
    pub coverage_rate: f64,
    /// Share of outputs that are valid and implement their intent (0–1),
    /// over samples with an intent; `None` when no sample has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity_rate: Option<f64>,
    /// Corpus BLEU (0–100, sacrebleu).
    pub bleu: f64,
    /// Corpus chrF++ (0–100, sacrebleu).
    pub chrf_pp: f64,
    /// Mean ROUGE-1 F (0–1).
    pub rouge1: f64,
    /// Mean ROUGE-2 F (0–1).
    pub rouge2: f64,
    /// Mean ROUGE-L F (0–1).
    #[serde(rename = "rougeL")]
    pub rouge_l: f64,
    /// Mean METEOR (0–1).
    pub meteor: f64,
    /// Mean generation time per sample, milliseconds.
    pub mean_latency_ms: f64,
}

/// The metrics plotted, each on a 0–100 scale (ROUGE, METEOR, compile and
/// coverage rates ×100).
const PLOTTED: [&str; 8] = [
    "compile", "coverage", "BLEU", "chrF++", "ROUGE-1", "ROUGE-2", "ROUGE-L", "METEOR",
];

fn plotted_values(s: &ModelSummary) -> [f64; 8] {
    [
        s.compile_rate * 100.0,
        s.coverage_rate * 100.0,
        s.bleu,
        s.chrf_pp,
        s.rouge1 * 100.0,
        s.rouge2 * 100.0,
        s.rouge_l * 100.0,
        s.meteor * 100.0,
    ]
}

/// Writes `summary.json`, `summary.csv`, `summary.md` and `metrics.svg`.
pub fn write_all(dir: &Path, summaries: &[ModelSummary]) -> Result<(), InferError> {
    let write = |name: &str, text: String| -> Result<(), InferError> {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| InferError::io(&p, e))
    };
    write(
        "summary.json",
        serde_json::to_string_pretty(summaries).map_err(|e| InferError::Report(e.to_string()))?,
    )?;
    write("summary.csv", csv(summaries))?;
    write("summary.md", markdown(summaries))?;
    plot(&dir.join("metrics.svg"), summaries)
}

fn csv(summaries: &[ModelSummary]) -> String {
    let mut out = String::from(
        "model,samples,errors,compile_rate,coverage_rate,fidelity_rate,bleu,chrf_pp,rouge1,rouge2,rougeL,meteor,mean_latency_ms\n",
    );
    for s in summaries {
        let model = if s.model.contains([',', '"']) {
            format!("\"{}\"", s.model.replace('"', "\"\""))
        } else {
            s.model.clone()
        };
        let _ = writeln!(
            out,
            "{model},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.samples,
            s.errors,
            s.compile_rate,
            s.coverage_rate,
            s.fidelity_rate.map(|f| f.to_string()).unwrap_or_default(),
            s.bleu,
            s.chrf_pp,
            s.rouge1,
            s.rouge2,
            s.rouge_l,
            s.meteor,
            s.mean_latency_ms
        );
    }
    out
}

fn markdown(summaries: &[ModelSummary]) -> String {
    let mut out = String::from(
        "| model | samples | errors | compile % | coverage % | fidelity % | BLEU | chrF++ | ROUGE-1 | ROUGE-2 | ROUGE-L | METEOR | ms/sample |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {} | {:.2} | {:.2} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} |",
            s.model.replace('|', "\\|"),
            s.samples,
            s.errors,
            s.compile_rate * 100.0,
            s.coverage_rate * 100.0,
            s.fidelity_rate
                .map_or_else(|| "-".to_string(), |f| format!("{:.1}", f * 100.0)),
            s.bleu,
            s.chrf_pp,
            s.rouge1,
            s.rouge2,
            s.rouge_l,
            s.meteor,
            s.mean_latency_ms
        );
    }
    out.push_str("\nBLEU and chrF++ are corpus scores (sacrebleu, 0–100); ROUGE and METEOR are per-sample means (0–1); compile = parses and passes layer-1 validation; coverage = share of the reference's essential resources named; fidelity = valid and implements the sample's intent (scope, resources, actions, nothing more; `-`: no sample has an intent).\n");
    out
}

fn plot(path: &Path, summaries: &[ModelSummary]) -> Result<(), InferError> {
    let err = |e: String| InferError::Report(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let groups = PLOTTED.len();
    let models = summaries.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption("kubescribe evaluation (0-100)", ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0f64..groups as f64, 0f64..122f64)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_labels(7)
        .x_labels(groups)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor()).abs() < 1e-9 && i < groups {
                String::new()
            } else {
                PLOTTED.get(i).map(|s| s.to_string()).unwrap_or_default()
            }
        })
        .y_desc("score")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    // Metric names under each group.
    for (i, name) in PLOTTED.iter().enumerate() {
        chart
            .draw_series(std::iter::once(Text::new(
                name.to_string(),
                (i as f64 + 0.3, -4.0),
                ("sans-serif", 14),
            )))
            .map_err(|e| err(e.to_string()))?;
    }
    let width = 0.8 / models as f64;
    for (m, s) in summaries.iter().enumerate() {
        let color = Palette99::pick(m).to_rgba();
        let values = plotted_values(s);
        chart
            .draw_series(values.iter().enumerate().map(|(g, v)| {
                let x0 = g as f64 + 0.1 + m as f64 * width;
                Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.92, v.clamp(0.0, 100.0))],
                    color.filled(),
                )
            }))
            .map_err(|e| err(e.to_string()))?
            .label(s.model.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
