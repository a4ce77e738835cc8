//! Value semantics of the result classes: pickling (`__reduce__` through
//! `_restore`), equality and hashing by value, reprs in Python terms,
//! `_repr_html_` and `to_pandas()` helpers.
//!
//! Each result class has a *state*: a JSON value from which it can be
//! rebuilt exactly (`State`). Pickle and `copy.deepcopy` store the state as
//! JSON text and rebuild through the module function `_restore(kind, text)`
//! (`crate::restore`),
//! so results cross process boundaries (`multiprocessing`, joblib,
//! `datasets.map(num_proc=…)`); `==` compares states and `hash` hashes
//! them (the classes are frozen, so the state never changes).

use std::hash::{Hash, Hasher};

use pyo3::BoundObject;
use pyo3::prelude::*;
use serde_json::Value;

use crate::errors::parse_err;

/// A result class that can be rebuilt from a JSON state.
pub(crate) trait State: Sized {
    /// The class name `_restore` dispatches on.
    const NAME: &'static str;
    /// Everything needed to rebuild the object.
    fn state(&self) -> PyResult<Value>;
    /// Rebuilds the object from `state`.
    fn from_state(state: Value) -> PyResult<Self>;
}

/// `__reduce__`: `(kubescribe._kubescribe._restore, (NAME, state as JSON text))`.
pub(crate) fn reduce<'py, T: State>(
    py: Python<'py>,
    this: &T,
) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
    let restore = py.import("kubescribe._kubescribe")?.getattr("_restore")?;
    let text = serde_json::to_string(&this.state()?).map_err(parse_err)?;
    Ok((restore, (T::NAME, text)))
}

/// `__eq__` by state; `NotImplemented` for another type.
pub(crate) fn eq<T: State + pyo3::PyClass + Sync>(
    py: Python<'_>,
    this: &T,
    other: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    match other.cast::<T>() {
        Ok(o) => {
            let o = o.borrow();
            let same = this.state()? == o.state()?;
            Ok(pyo3::types::PyBool::new(py, same)
                .to_owned()
                .into_any()
                .unbind())
        }
        Err(_) => Ok(py.NotImplemented()),
    }
}

/// `__hash__` of the state (map key order does not count, as for `==`).
pub(crate) fn hash<T: State>(this: &T) -> PyResult<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(&this.state()?, &mut h);
    Ok(h.finish())
}

fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => {
            2u8.hash(h);
            n.to_string().hash(h);
        }
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            a.iter().for_each(|x| hash_value(x, h));
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                k.hash(h);
                hash_value(&m[k], h);
            }
        }
    }
}

/// Reads a state's field.
pub(crate) fn field<T: serde::de::DeserializeOwned>(
    state: &Value,
    key: &str,
    class: &str,
) -> PyResult<T> {
    serde_json::from_value(state.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| parse_err(format!("{class} state: {key}: {e}")))
}

/// Python's `repr()` of a value (`None`, `'text'`, `True`, `3`).
pub(crate) fn pyrepr<'py, T>(py: Python<'py>, value: T) -> String
where
    T: IntoPyObject<'py>,
{
    value
        .into_pyobject(py)
        .ok()
        .and_then(|o| o.into_bound().into_any().repr().ok().map(|r| r.to_string()))
        .unwrap_or_else(|| "?".to_string())
}

/// Text escaped for HTML.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML table of `rows` (each a JSON object) over `columns`.
pub(crate) fn html_table(columns: &[&str], rows: &[Value]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for c in columns {
        out.push_str(&format!("<th>{}</th>", html(c)));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in columns {
            let cell = match r.get(*c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(f) if n.is_f64() => format!("{f:.4}"),
                    _ => n.to_string(),
                },
                Some(v) => v.to_string(),
            };
            out.push_str(&format!("<td>{}</td>", html(&cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// `pandas.DataFrame(records)`, pandas imported only now (it is optional:
/// an `ImportError` says to install it).
pub(crate) fn data_frame<'py>(
    py: Python<'py>,
    records: Bound<'py, PyAny>,
    columns: Option<&[&str]>,
) -> PyResult<Bound<'py, PyAny>> {
    let pandas = py.import("pandas").map_err(|_| {
        pyo3::exceptions::PyImportError::new_err(
            "to_pandas() needs pandas, which kubescribe does not install: pip install pandas",
        )
    })?;
    let kwargs = pyo3::types::PyDict::new(py);
    if let Some(cols) = columns {
        kwargs.set_item("columns", cols.to_vec())?;
    }
    pandas.getattr("DataFrame")?.call((records,), Some(&kwargs))
}

// ---- BatchScores --------------------------------------------------------------

/// `kubescribe_metrics::PairScores` / `CorpusScores` fields, for rebuilding
/// a pickled `BatchScores` (the Rust types only serialize).
#[derive(serde::Deserialize)]
struct ScoresState {
    id: Value,
    bleu: f64,
    chrf_pp: f64,
    rouge1: f64,
    rouge2: f64,
    #[serde(rename = "rougeL")]
    rouge_l: f64,
    #[serde(rename = "rougeLsum")]
    rouge_lsum: f64,
    rouge1_stem: f64,
    rouge2_stem: f64,
    #[serde(rename = "rougeL_stem")]
    rouge_l_stem: f64,
    #[serde(rename = "rougeLsum_stem")]
    rouge_lsum_stem: f64,
    meteor: f64,
    #[serde(default)]
    pairs: usize,
    #[serde(default)]
    meteor_mode: String,
}

/// The state of a `BatchScores`: `{"pairs": [...], "corpus": {...}}`.
pub(crate) fn batch_scores_state(b: &kubescribe_metrics::BatchScores) -> PyResult<Value> {
    Ok(serde_json::json!({
        "pairs": serde_json::to_value(&b.pairs).map_err(parse_err)?,
        "corpus": serde_json::to_value(&b.corpus).map_err(parse_err)?,
    }))
}

/// Rebuilds a `BatchScores` from its state.
pub(crate) fn batch_scores_from_state(state: Value) -> PyResult<kubescribe_metrics::BatchScores> {
    use kubescribe_metrics::{CorpusScores, MeteorMode, PairScores};
    let pairs: Vec<ScoresState> = field(&state, "pairs", "BatchScores")?;
    let c: ScoresState = field(&state, "corpus", "BatchScores")?;
    let meteor_mode = [MeteorMode::ExactStemWordNet, MeteorMode::ExactStem]
        .into_iter()
        .find(|m| serde_json::to_value(m).ok() == Some(Value::String(c.meteor_mode.clone())))
        .ok_or_else(|| {
            parse_err(format!(
                "BatchScores state: meteor_mode {:?}",
                c.meteor_mode
            ))
        })?;
    Ok(kubescribe_metrics::BatchScores {
        pairs: pairs
            .into_iter()
            .map(|p| PairScores {
                id: p.id,
                bleu: p.bleu,
                chrf_pp: p.chrf_pp,
                rouge1: p.rouge1,
                rouge2: p.rouge2,
                rouge_l: p.rouge_l,
                rouge_lsum: p.rouge_lsum,
                rouge1_stem: p.rouge1_stem,
                rouge2_stem: p.rouge2_stem,
                rouge_l_stem: p.rouge_l_stem,
                rouge_lsum_stem: p.rouge_lsum_stem,
                meteor: p.meteor,
            })
            .collect(),
        corpus: CorpusScores {
            id: c.id,
            bleu: c.bleu,
            chrf_pp: c.chrf_pp,
            rouge1: c.rouge1,
            rouge2: c.rouge2,
            rouge_l: c.rouge_l,
            rouge_lsum: c.rouge_lsum,
            rouge1_stem: c.rouge1_stem,
            rouge2_stem: c.rouge2_stem,
            rouge_l_stem: c.rouge_l_stem,
            rouge_lsum_stem: c.rouge_lsum_stem,
            meteor: c.meteor,
            pairs: c.pairs,
            meteor_mode,
        },
    })
}

/// The metric columns of `BatchScores.to_pandas()` and its HTML table.
pub(crate) const SCORE_COLUMNS: [&str; 12] = [
    "id",
    "bleu",
    "chrf_pp",
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "rouge1_stem",
    "rouge2_stem",
    "rougeL_stem",
    "rougeLsum_stem",
    "meteor",
];

/// `BatchScores._repr_html_`: the corpus line, then the first 20 pairs.
pub(crate) fn batch_scores_html(b: &kubescribe_metrics::BatchScores) -> PyResult<String> {
    let corpus = serde_json::to_value(&b.corpus).map_err(parse_err)?;
    let mut rows = vec![corpus];
    for p in b.pairs.iter().take(20) {
        rows.push(serde_json::to_value(p).map_err(parse_err)?);
    }
    let more = b.pairs.len().saturating_sub(20);
    Ok(format!(
        "<p><b>BatchScores</b>: {} pair(s){}</p>{}",
        b.pairs.len(),
        if more > 0 {
            format!(" (first 20 shown, {more} more)")
        } else {
            String::new()
        },
        html_table(&SCORE_COLUMNS, &rows)
    ))
}
