//! Text metrics (`kubescribe_metrics`): sentence-level, corpus-level and
//! batch functions. Batch and corpus functions release the GIL and run on
//! rayon's global pool (`RAYON_NUM_THREADS` sets its size); the per-metric
//! batch calls take their texts across in one piece (`Texts`) and build
//! their results directly (`scripts/py/bench_batch_lengths.py` times them
//! against pure Rust at three text lengths); values are the
//! Rust crate's, which equal sacrebleu 2.6.0, rouge-score 0.1.2 and nltk
//! 3.10.4 (see the crate docs for the exact settings).

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rayon::prelude::*;
use serde_json::{Value, json};

use kubescribe_metrics::chrf::{ChrfConfig, corpus_chrf_with, sentence_chrf_with};
use kubescribe_metrics::{
    Options, Pair, RougeScores, WordNet, corpus_bleu as rs_corpus_bleu, meteor as rs_meteor,
    rouge_scores, score_batch as rs_score_batch, score_corpus, score_pair, sentence_bleu,
};

use crate::convert::to_py;
use crate::errors::metrics_err;

/// A WordNet 3.0 database (the `dict` directory: `data.noun`, `index.sense`,
/// …) for METEOR's synonym stage. Load it once and pass it to the METEOR
/// functions; without one METEOR uses exact + stem matching only.
#[pyclass(name = "WordNet", module = "kubescribe", frozen)]
pub struct PyWordNet {
    inner: Arc<WordNet>,
    dir: PathBuf,
}

#[pymethods]
impl PyWordNet {
    /// Loads the database in `dir` (Debian's `wordnet-base` installs it in
    /// `/usr/share/wordnet`). Raises `MetricsError` for a missing or
    /// malformed file.
    #[new]
    fn new(py: Python<'_>, dir: PathBuf) -> PyResult<Self> {
        crate::errors::check_path(&dir)?;
        let d = dir.clone();
        let inner = py.detach(move || WordNet::load(&d)).map_err(metrics_err)?;
        Ok(PyWordNet {
            inner: Arc::new(inner),
            dir,
        })
    }
    /// The directory it was loaded from.
    #[getter]
    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }
    /// The single-word synonyms METEOR uses for `word` (all its synsets' lemmas).
    fn synonyms(&self, word: &str) -> Vec<String> {
        let mut v: Vec<String> = self.inner.synonyms(word).into_iter().collect();
        v.sort();
        v
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "WordNet({})",
            crate::state::pyrepr(py, self.dir.display().to_string())
        )
    }
    /// Pickles as its directory: the database is loaded again on the other side.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyType>, (PathBuf,))> {
        Ok((slf.get_type(), (slf.get().dir.clone(),)))
    }
}

fn wn(w: Option<&PyRef<'_, PyWordNet>>) -> Option<Arc<WordNet>> {
    w.map(|w| w.inner.clone())
}

/// Hypotheses and references of equal length.
fn pairs_arg(hyps: Vec<String>, refs: Vec<String>) -> PyResult<Vec<(String, String)>> {
    if hyps.len() != refs.len() {
        return Err(metrics_err(format!(
            "{} hypotheses but {} references: they must pair up",
            hyps.len(),
            refs.len()
        )));
    }
    Ok(hyps.into_iter().zip(refs).collect())
}

fn chrf_cfg(word_order: usize) -> ChrfConfig {
    ChrfConfig {
        word_order,
        ..ChrfConfig::CHRF_PP
    }
}

fn rouge_value(s: &RougeScores) -> Value {
    json!({"rouge1": s.rouge1.fmeasure, "rouge2": s.rouge2.fmeasure,
           "rougeL": s.rouge_l.fmeasure, "rougeLsum": s.rouge_lsum.fmeasure})
}

fn rouge_detail(s: &RougeScores) -> Value {
    let one = |r: &kubescribe_metrics::RougeScore| json!({"precision": r.precision, "recall": r.recall, "fmeasure": r.fmeasure});
    json!({"rouge1": one(&s.rouge1), "rouge2": one(&s.rouge2),
           "rougeL": one(&s.rouge_l), "rougeLsum": one(&s.rouge_lsum)})
}

/// Runs `f` over the pairs on rayon's pool with the GIL released.
fn par_map<T: Send>(
    py: Python<'_>,
    pairs: &[(String, String)],
    f: impl Fn(&str, &str) -> T + Sync + Send,
) -> Vec<T> {
    py.detach(|| pairs.par_iter().map(|(h, r)| f(h, r)).collect())
}

/// The texts of a batch argument, converted once: Python joins them with
/// NUL (one C loop) and the joined text crosses into Rust as one UTF-8
/// copy, cut back into pieces here; item by item only when a text holds a
/// NUL itself. On short pairs the per-item conversion cost as much as the
/// metric.
enum Texts {
    Joined(String, Vec<std::ops::Range<usize>>),
    Each(Vec<String>),
}

impl Texts {
    fn len(&self) -> usize {
        match self {
            Texts::Joined(_, spans) => spans.len(),
            Texts::Each(v) => v.len(),
        }
    }
    fn get(&self, i: usize) -> &str {
        match self {
            Texts::Joined(buf, spans) => &buf[spans[i].clone()],
            Texts::Each(v) => &v[i],
        }
    }
}

fn texts_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Texts> {
    let py = obj.py();
    let wrong =
        || pyo3::exceptions::PyTypeError::new_err(format!("{what}: expected a sequence of str"));
    if obj.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let list = match obj.cast::<PyList>() {
        Ok(l) => l.clone(),
        Err(_) => PyList::new(py, obj.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,
    };
    let joined = intern!(py, "\0")
        .call_method1(intern!(py, "join"), (&list,))
        .map_err(|_| wrong())?;
    let buf: String = joined.extract()?;
    let mut spans = Vec::with_capacity(list.len());
    let mut start = 0;
    for (i, b) in buf.bytes().enumerate() {
        if b == 0 {
            spans.push(start..i);
            start = i + 1;
        }
    }
    if !list.is_empty() {
        spans.push(start..buf.len());
    }
    if spans.len() == list.len() {
        Ok(Texts::Joined(buf, spans))
    } else {
        Ok(Texts::Each(list.extract().map_err(|_| wrong())?))
    }
}

/// Hypotheses and references of equal length, converted once each.
fn text_pairs(hyps: &Bound<'_, PyAny>, refs: &Bound<'_, PyAny>) -> PyResult<(Texts, Texts)> {
    let (h, r) = (
        texts_arg(hyps, "hypotheses")?,
        texts_arg(refs, "references")?,
    );
    if h.len() != r.len() {
        return Err(metrics_err(format!(
            "{} hypotheses but {} references: they must pair up",
            h.len(),
            r.len()
        )));
    }
    Ok((h, r))
}

/// [`par_map`] over batch texts.
fn par_map_texts<T: Send>(
    py: Python<'_>,
    (hyps, refs): &(Texts, Texts),
    f: impl Fn(&str, &str) -> T + Sync + Send,
) -> Vec<T> {
    py.detach(|| {
        (0..hyps.len())
            .into_par_iter()
            .map(|i| f(hyps.get(i), refs.get(i)))
            .collect()
    })
}

// ---- BLEU -----------------------------------------------------------------

/// Sentence BLEU (0–100): sacrebleu `sentence_bleu(hyp, [ref])` (13a
/// tokenizer, exp smoothing, effective order).
#[pyfunction]
fn bleu(hypothesis: &str, reference: &str) -> f64 {
    sentence_bleu(hypothesis, reference)
}

/// Corpus BLEU (0–100): sacrebleu `corpus_bleu(hyps, [refs])`.
#[pyfunction]
fn corpus_bleu(py: Python<'_>, hypotheses: Vec<String>, references: Vec<String>) -> PyResult<f64> {
    let pairs = pairs_arg(hypotheses, references)?;
    Ok(py.detach(|| rs_corpus_bleu(&pairs)))
}

/// Sentence BLEU of each pair, computed in parallel.
#[pyfunction]
fn bleu_batch(
    py: Python<'_>,
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
) -> PyResult<Vec<f64>> {
    let texts = text_pairs(hypotheses, references)?;
    Ok(par_map_texts(py, &texts, sentence_bleu))
}

// ---- chrF -----------------------------------------------------------------

/// Sentence chrF++ (0–100; `word_order=0` gives chrF): sacrebleu
/// `CHRF(word_order=...).sentence_score(hyp, [ref])`.
#[pyfunction]
#[pyo3(signature = (hypothesis, reference, *, word_order = 2))]
fn chrf(hypothesis: &str, reference: &str, word_order: usize) -> f64 {
    sentence_chrf_with(hypothesis, reference, &chrf_cfg(word_order))
}

/// Corpus chrF++ (0–100): sacrebleu `CHRF(word_order=...).corpus_score(hyps, [refs])`.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, word_order = 2))]
fn corpus_chrf(
    py: Python<'_>,
    hypotheses: Vec<String>,
    references: Vec<String>,
    word_order: usize,
) -> PyResult<f64> {
    let pairs = pairs_arg(hypotheses, references)?;
    Ok(py.detach(|| corpus_chrf_with(&pairs, &chrf_cfg(word_order))))
}

/// Sentence chrF++ of each pair, computed in parallel.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, word_order = 2))]
fn chrf_batch(
    py: Python<'_>,
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
    word_order: usize,
) -> PyResult<Vec<f64>> {
    let texts = text_pairs(hypotheses, references)?;
    let cfg = chrf_cfg(word_order);
    Ok(par_map_texts(py, &texts, |h, r| {
        sentence_chrf_with(h, r, &cfg)
    }))
}

// ---- ROUGE ----------------------------------------------------------------

/// ROUGE F-measures (0–1) `{"rouge1", "rouge2", "rougeL", "rougeLsum"}`:
/// rouge-score `RougeScorer([...], use_stemmer=stem).score(ref, hyp)`;
/// `detail=True` gives precision, recall and fmeasure per variant.
#[pyfunction]
#[pyo3(signature = (hypothesis, reference, *, stem = false, detail = false))]
fn rouge<'py>(
    py: Python<'py>,
    hypothesis: &str,
    reference: &str,
    stem: bool,
    detail: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let s = rouge_scores(reference, hypothesis, stem);
    to_py(
        py,
        &if detail {
            rouge_detail(&s)
        } else {
            rouge_value(&s)
        },
    )
}

/// ROUGE F-measures of each pair (records), computed in parallel.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, stem = false))]
fn rouge_batch<'py>(
    py: Python<'py>,
    hypotheses: &Bound<'py, PyAny>,
    references: &Bound<'py, PyAny>,
    stem: bool,
) -> PyResult<Bound<'py, PyList>> {
    let texts = text_pairs(hypotheses, references)?;
    let scores = par_map_texts(py, &texts, |h, r| rouge_scores(r, h, stem));
    // The records built directly (interned keys, no JSON detour): on short
    // pairs building them costs as much as scoring them.
    let keys = [
        intern!(py, "rouge1"),
        intern!(py, "rouge2"),
        intern!(py, "rougeL"),
        intern!(py, "rougeLsum"),
    ];
    let rows = scores
        .iter()
        .map(|s| {
            let d = PyDict::new(py);
            d.set_item(keys[0], s.rouge1.fmeasure)?;
            d.set_item(keys[1], s.rouge2.fmeasure)?;
            d.set_item(keys[2], s.rouge_l.fmeasure)?;
            d.set_item(keys[3], s.rouge_lsum.fmeasure)?;
            Ok(d)
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

/// Corpus ROUGE: the mean F-measure of each variant over the pairs (as
/// rouge-score's users average them; 0 for no pairs).
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, stem = false))]
fn corpus_rouge<'py>(
    py: Python<'py>,
    hypotheses: Vec<String>,
    references: Vec<String>,
    stem: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let pairs = pairs_arg(hypotheses, references)?;
    let all = par_map(py, &pairs, |h, r| rouge_scores(r, h, stem));
    let n = all.len().max(1) as f64;
    let mean = |f: &dyn Fn(&RougeScores) -> f64| {
        // Left-to-right sum, like Python's sum(xs) / len(xs).
        let mut s = 0.0;
        for x in &all {
            s += f(x);
        }
        s / n
    };
    to_py(
        py,
        &json!({"rouge1": mean(&|s| s.rouge1.fmeasure), "rouge2": mean(&|s| s.rouge2.fmeasure),
                "rougeL": mean(&|s| s.rouge_l.fmeasure), "rougeLsum": mean(&|s| s.rouge_lsum.fmeasure)}),
    )
}

// ---- METEOR ---------------------------------------------------------------

/// METEOR (0–1): nltk `meteor_score([ref.split()], hyp.split())`; with a
/// `WordNet`, synonyms match too (nltk's full METEOR).
#[pyfunction]
#[pyo3(signature = (hypothesis, reference, *, wordnet = None))]
fn meteor(hypothesis: &str, reference: &str, wordnet: Option<PyRef<'_, PyWordNet>>) -> f64 {
    rs_meteor(
        hypothesis,
        reference,
        wordnet.as_ref().map(|w| w.inner.as_ref()),
    )
}

/// METEOR of each pair, computed in parallel.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, wordnet = None))]
fn meteor_batch(
    py: Python<'_>,
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
    wordnet: Option<PyRef<'_, PyWordNet>>,
) -> PyResult<Vec<f64>> {
    let texts = text_pairs(hypotheses, references)?;
    let w = wn(wordnet.as_ref());
    Ok(par_map_texts(py, &texts, |h, r| {
        rs_meteor(h, r, w.as_deref())
    }))
}

/// Corpus METEOR: the mean over the pairs (0 for no pairs).
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, wordnet = None))]
fn corpus_meteor(
    py: Python<'_>,
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
    wordnet: Option<PyRef<'_, PyWordNet>>,
) -> PyResult<f64> {
    let v = meteor_batch(py, hypotheses, references, wordnet)?;
    let n = v.len();
    let mut s = 0.0;
    for x in &v {
        s += x;
    }
    Ok(if n == 0 { 0.0 } else { s / n as f64 })
}

// ---- everything at once ---------------------------------------------------

fn options(wordnet: Option<&PyRef<'_, PyWordNet>>, parallel: bool) -> Options {
    Options {
        wordnet: wn(wordnet),
        parallel,
    }
}

/// Every metric for one pair: bleu, chrf_pp, rouge1/2/L/Lsum (plain and
/// `_stem`), meteor — the fields of `kubescribe score`.
#[pyfunction]
#[pyo3(signature = (hypothesis, reference, *, wordnet = None))]
fn score<'py>(
    py: Python<'py>,
    hypothesis: &str,
    reference: &str,
    wordnet: Option<PyRef<'py, PyWordNet>>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = options(wordnet.as_ref(), false);
    let s = py.detach(|| score_pair(hypothesis, reference, &opts));
    let d = to_py(py, &s)?;
    d.del_item("id")?;
    Ok(d)
}

/// Every metric for a corpus: corpus BLEU and chrF++, mean ROUGE and
/// METEOR, the pair count and the METEOR mode.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, wordnet = None))]
fn corpus_score<'py>(
    py: Python<'py>,
    hypotheses: Vec<String>,
    references: Vec<String>,
    wordnet: Option<PyRef<'py, PyWordNet>>,
) -> PyResult<Bound<'py, PyAny>> {
    let pairs = pairs_arg(hypotheses, references)?;
    let opts = options(wordnet.as_ref(), true);
    let c = py.detach(|| score_corpus(&pairs, &opts));
    let d = to_py(py, &c)?;
    d.del_item("id")?;
    Ok(d)
}

/// Per-pair and corpus scores of a batch (`score_batch`).
#[pyclass(name = "BatchScores", module = "kubescribe", frozen)]
pub struct PyBatchScores {
    inner: kubescribe_metrics::BatchScores,
}

#[pymethods]
impl PyBatchScores {
    /// One dict per pair (id plus every metric): `pandas.DataFrame(batch.pairs)`.
    #[getter]
    fn pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.pairs)
    }
    /// The corpus-level scores.
    #[getter]
    fn corpus<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.corpus)
    }
    /// One metric's per-pair values, in input order.
    fn column(&self, metric: &str) -> PyResult<Vec<f64>> {
        let get: fn(&kubescribe_metrics::PairScores) -> f64 = match metric {
            "bleu" => |p| p.bleu,
            "chrf_pp" => |p| p.chrf_pp,
            "rouge1" => |p| p.rouge1,
            "rouge2" => |p| p.rouge2,
            "rougeL" => |p| p.rouge_l,
            "rougeLsum" => |p| p.rouge_lsum,
            "rouge1_stem" => |p| p.rouge1_stem,
            "rouge2_stem" => |p| p.rouge2_stem,
            "rougeL_stem" => |p| p.rouge_l_stem,
            "rougeLsum_stem" => |p| p.rouge_lsum_stem,
            "meteor" => |p| p.meteor,
            other => {
                return Err(crate::errors::parse_err(format!(
                    "unknown metric {other:?} (expected bleu, chrf_pp, rouge1, rouge2, rougeL, rougeLsum, their _stem variants, or meteor)"
                )));
            }
        };
        Ok(self.inner.pairs.iter().map(get).collect())
    }
    fn __len__(&self) -> usize {
        self.inner.pairs.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "BatchScores(pairs={}, bleu={:.4}, chrf_pp={:.4}, meteor={:.4})",
            self.inner.pairs.len(),
            self.inner.corpus.bleu,
            self.inner.corpus.chrf_pp,
            self.inner.corpus.meteor
        )
    }
    /// The per-pair scores as a `pandas.DataFrame` (id plus every metric;
    /// needs pandas, imported only here).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::state::data_frame(
            py,
            to_py(py, &self.inner.pairs)?,
            Some(&crate::state::SCORE_COLUMNS),
        )
    }
    fn _repr_html_(&self) -> PyResult<String> {
        crate::state::batch_scores_html(&self.inner)
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::state::eq(py, self, other)
    }
    fn __hash__(&self) -> PyResult<u64> {
        crate::state::hash(self)
    }
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        crate::state::reduce(py, self)
    }
}

impl crate::state::State for PyBatchScores {
    const NAME: &'static str = "BatchScores";
    fn state(&self) -> PyResult<Value> {
        crate::state::batch_scores_state(&self.inner)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        Ok(PyBatchScores {
            inner: crate::state::batch_scores_from_state(state)?,
        })
    }
}

/// Every metric for every pair plus the corpus scores, computed in parallel
/// (rayon) with the GIL released. `ids` label the pairs (default 0..n-1).
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, ids = None, wordnet = None, parallel = true))]
fn score_batch(
    py: Python<'_>,
    hypotheses: Vec<String>,
    references: Vec<String>,
    ids: Option<Vec<Bound<'_, PyAny>>>,
    wordnet: Option<PyRef<'_, PyWordNet>>,
    parallel: bool,
) -> PyResult<PyBatchScores> {
    let pairs = pairs_arg(hypotheses, references)?;
    let ids: Vec<Value> = match ids {
        Some(ids) => {
            if ids.len() != pairs.len() {
                return Err(metrics_err(format!(
                    "{} ids for {} pairs",
                    ids.len(),
                    pairs.len()
                )));
            }
            ids.iter()
                .map(|i| crate::convert::from_py(i, "ids"))
                .collect::<PyResult<_>>()?
        }
        None => (0..pairs.len()).map(Value::from).collect(),
    };
    let pairs: Vec<Pair> = pairs
        .into_iter()
        .zip(ids)
        .map(|((hypothesis, reference), id)| Pair {
            id,
            hypothesis,
            reference,
        })
        .collect();
    let opts = options(wordnet.as_ref(), parallel);
    let inner = py.detach(|| rs_score_batch(&pairs, &opts));
    Ok(PyBatchScores { inner })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWordNet>()?;
    m.add_class::<PyBatchScores>()?;
    m.add_function(wrap_pyfunction!(bleu, m)?)?;
    m.add_function(wrap_pyfunction!(corpus_bleu, m)?)?;
    m.add_function(wrap_pyfunction!(bleu_batch, m)?)?;
    m.add_function(wrap_pyfunction!(chrf, m)?)?;
    m.add_function(wrap_pyfunction!(corpus_chrf, m)?)?;
    m.add_function(wrap_pyfunction!(chrf_batch, m)?)?;
    m.add_function(wrap_pyfunction!(rouge, m)?)?;
    m.add_function(wrap_pyfunction!(rouge_batch, m)?)?;
    m.add_function(wrap_pyfunction!(corpus_rouge, m)?)?;
    m.add_function(wrap_pyfunction!(meteor, m)?)?;
    m.add_function(wrap_pyfunction!(meteor_batch, m)?)?;
    m.add_function(wrap_pyfunction!(corpus_meteor, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(corpus_score, m)?)?;
    m.add_function(wrap_pyfunction!(score_batch, m)?)?;
    Ok(())
}
