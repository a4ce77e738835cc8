//! Text metrics (`kubescribe_metrics`): sentence-level, corpus-level and
//! batch functions. Batch and corpus functions release the GIL and run on
//! rayon's global pool (`RAYON_NUM_THREADS` sets its size); the per-metric
//! batch calls and `score_batch` read their texts in place (`utf8_views`:
//! no copy) and the per-metric ones build their results directly
//! (`scripts/py/bench_batch_lengths.py` times them against pure Rust at
//! three text lengths; docs/perf.md has the table); values are the
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

use crate::convert::{Count, to_py};
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

/// The `str` items of a batch argument, each held (a strong reference, so
/// the caller cannot free one while the GIL is released), read in place.
fn texts_arg<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyString>>> {
    let wrong =
        || pyo3::exceptions::PyTypeError::new_err(format!("{what}: expected a sequence of str"));
    if obj.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let item = |o: Bound<'py, PyAny>| o.cast_into::<PyString>().map_err(|_| wrong());
    match obj.cast::<PyList>() {
        Ok(l) => l.iter().map(item).collect(),
        Err(_) => obj.try_iter()?.map(|o| item(o?)).collect(),
    }
}

// `PyUnicode_AsUTF8AndSize` is in the stable ABI from 3.10, so pyo3's
// abi3-py39 build does not declare it, but CPython has exported it since
// 3.3: the module still loads on 3.9.
unsafe extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::ffi::c_char;
}

/// The UTF-8 text of each string, without a copy: CPython's own UTF-8 form
/// (an ASCII string's data, or the UTF-8 copy CPython caches in the object
/// on first use). The earlier conversion (join with NUL, encode, copy, cut)
/// was a fifth of a long-text METEOR batch (`perf`, docs/perf.md).
fn utf8_views<'a>(strings: &'a [Bound<'_, PyString>]) -> PyResult<Vec<&'a str>> {
    strings
        .iter()
        .map(|s| {
            let mut len: pyo3::ffi::Py_ssize_t = 0;
            // SAFETY: `s` is a live `str` (a strong reference in
            // `strings`) and the GIL is held. The returned buffer belongs
            // to the string object, which is immutable and outlives the
            // borrow of `strings`; CPython frees it only with the object.
            // The bytes are UTF-8 (CPython fails, returning NULL, for a
            // string with lone surrogates).
            unsafe {
                let p = PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len);
                if p.is_null() {
                    return Err(PyErr::fetch(s.py()));
                }
                let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len as usize);
                Ok(std::str::from_utf8_unchecked(bytes))
            }
        })
        .collect()
}

/// A batch's hypotheses and references (the string objects, held).
type TextPairs<'py> = (Vec<Bound<'py, PyString>>, Vec<Bound<'py, PyString>>);

/// Hypotheses and references of equal length (the string objects, held).
fn text_pairs<'py>(hyps: &Bound<'py, PyAny>, refs: &Bound<'py, PyAny>) -> PyResult<TextPairs<'py>> {
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

/// [`par_map`] over batch texts, read in place with the GIL released.
fn par_map_texts<T: Send>(
    py: Python<'_>,
    (hyps, refs): &TextPairs<'_>,
    f: impl Fn(&str, &str) -> T + Sync + Send,
) -> PyResult<Vec<T>> {
    let (h, r) = (utf8_views(hyps)?, utf8_views(refs)?);
    Ok(py.detach(|| {
        h.par_iter()
            .zip(r.par_iter())
            .map(|(h, r)| f(h, r))
            .collect()
    }))
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
    par_map_texts(py, &texts, sentence_bleu)
}

// ---- chrF -----------------------------------------------------------------

/// Sentence chrF++ (0–100; `word_order=0` gives chrF): sacrebleu
/// `CHRF(word_order=...).sentence_score(hyp, [ref])`.
#[pyfunction]
#[pyo3(signature = (hypothesis, reference, *, word_order = Count(2)))]
fn chrf(hypothesis: &str, reference: &str, word_order: Count) -> f64 {
    sentence_chrf_with(hypothesis, reference, &chrf_cfg(word_order.0))
}

/// Corpus chrF++ (0–100): sacrebleu `CHRF(word_order=...).corpus_score(hyps, [refs])`.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, word_order = Count(2)))]
fn corpus_chrf(
    py: Python<'_>,
    hypotheses: Vec<String>,
    references: Vec<String>,
    word_order: Count,
) -> PyResult<f64> {
    let pairs = pairs_arg(hypotheses, references)?;
    Ok(py.detach(|| corpus_chrf_with(&pairs, &chrf_cfg(word_order.0))))
}

/// Sentence chrF++ of each pair, computed in parallel.
#[pyfunction]
#[pyo3(signature = (hypotheses, references, *, word_order = Count(2)))]
fn chrf_batch(
    py: Python<'_>,
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
    word_order: Count,
) -> PyResult<Vec<f64>> {
    let texts = text_pairs(hypotheses, references)?;
    let cfg = chrf_cfg(word_order.0);
    par_map_texts(py, &texts, |h, r| sentence_chrf_with(h, r, &cfg))
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
    let scores = par_map_texts(py, &texts, |h, r| rouge_scores(r, h, stem))?;
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
    par_map_texts(py, &texts, |h, r| rs_meteor(h, r, w.as_deref()))
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
    hypotheses: &Bound<'_, PyAny>,
    references: &Bound<'_, PyAny>,
    ids: Option<Vec<Bound<'_, PyAny>>>,
    wordnet: Option<PyRef<'_, PyWordNet>>,
    parallel: bool,
) -> PyResult<PyBatchScores> {
    let (hyps, refs) = text_pairs(hypotheses, references)?;
    let (hyps, refs) = (utf8_views(&hyps)?, utf8_views(&refs)?);
    let ids: Vec<Value> = match ids {
        Some(ids) => {
            if ids.len() != hyps.len() {
                return Err(metrics_err(format!(
                    "{} ids for {} pairs",
                    ids.len(),
                    hyps.len()
                )));
            }
            ids.iter()
                .map(|i| crate::convert::from_py(i, "ids"))
                .collect::<PyResult<_>>()?
        }
        None => (0..hyps.len()).map(Value::from).collect(),
    };
    let opts = options(wordnet.as_ref(), parallel);
    let inner = py.detach(|| {
        let pairs: Vec<Pair> = hyps
            .iter()
            .zip(refs)
            .zip(ids)
            .map(|((h, r), id)| Pair {
                id,
                hypothesis: (*h).to_owned(),
                reference: r.to_owned(),
            })
            .collect();
        rs_score_batch(&pairs, &opts)
    });
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
