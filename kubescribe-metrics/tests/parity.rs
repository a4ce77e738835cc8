//! Parity tests against values computed with the real Python tools:
//! sacrebleu 2.6.0, rouge-score 0.1.2 and nltk 3.10.4 (WordNet 3.0 from
//! Debian's wordnet-base). They run offline; the WordNet-dependent METEOR
//! values use `tests/fixtures/wordnet-mini`, a cut of WordNet 3.0 made by
//! `scripts/metrics/make_wordnet_fixture.py` that holds everything the
//! synonym lookups of these sentences touch.

use kubescribe_metrics::{
    Options, PorterMode, PorterStemmer, WordNet, corpus_bleu, corpus_chrf, corpus_chrf_pp, meteor,
    rouge_scores, score_corpus, score_pair, sentence_bleu, sentence_chrf, sentence_chrf_pp,
};

const TOL: f64 = 1e-12;

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= TOL,
        "{what}: rust {actual} != python {expected}"
    );
}

fn fixture_wordnet() -> WordNet {
    WordNet::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wordnet-mini"
    ))
    .expect("fixture WordNet loads")
}

/// (hypothesis, reference)
const PAIRS: &[(&str, &str)] = &[
    (
        "The quick brown fox jumps over the lazy dog.",
        "The quick brown dog jumps on the log.",
    ),
    (
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: deny-egress\nspec:\n  endpointSelector:\n    matchLabels:\n      app: payment\n  egressDeny:\n  - toPorts:\n    - ports:\n      - port: \"443\"",
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: deny-egress-payment\nspec:\n  endpointSelector:\n    matchLabels:\n      app: payments\n  egressDeny:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: TCP",
    ),
    ("", "kind: Policy"),
    ("kind: Policy", ""),
    ("", ""),
    (
        "café naïve 安全 Kelvin,\u{1c}end.",
        "cafe naive 安全 kelvin, end",
    ),
    (
        "It is a guide to action which ensures that the military always obeys the commands of the party",
        "It is a guide to action that ensures that the military will forever heed Party commands",
    ),
];

/// sacrebleu: sentence_bleu, CHRF(word_order=2).sentence_score, CHRF().sentence_score
const SENTENCE_SACREBLEU: &[[f64; 3]] = &[
    [19.304869754804493, 56.999483907462135, 59.23597843505548],
    [74.77502581431487, 83.97264512268133, 85.2386183601439],
    [0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0],
    [14.535768424205482, 45.78160952919466, 49.75325740310139],
    [41.180376356915765, 62.17075369473655, 63.050621049071886],
];

/// rouge-score F-measures [rouge1, rouge2, rougeL, rougeLsum], use_stemmer=False
const ROUGE_PLAIN: &[[f64; 4]] = &[
    [
        0.7058823529411765,
        0.26666666666666666,
        0.5882352941176471,
        0.5882352941176471,
    ],
    [
        0.8837209302325583,
        0.7317073170731707,
        0.8372093023255814,
        0.8837209302325583,
    ],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [
        0.4444444444444445,
        0.28571428571428575,
        0.4444444444444445,
        0.4444444444444445,
    ],
    [
        0.7058823529411765,
        0.5,
        0.6470588235294118,
        0.6470588235294118,
    ],
];

/// rouge-score F-measures, use_stemmer=True
const ROUGE_STEM: &[[f64; 4]] = &[
    [
        0.7058823529411765,
        0.26666666666666666,
        0.5882352941176471,
        0.5882352941176471,
    ],
    [
        0.8837209302325583,
        0.8292682926829269,
        0.8837209302325583,
        0.8837209302325583,
    ],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [
        0.4444444444444445,
        0.28571428571428575,
        0.4444444444444445,
        0.4444444444444445,
    ],
    [
        0.7058823529411765,
        0.5,
        0.6470588235294118,
        0.6470588235294118,
    ],
];

/// nltk meteor_score([ref.split()], hyp.split()): (hyp, ref, with WordNet, without)
const METEOR: &[(&str, &str, f64, f64)] = &[
    (
        "The quick brown fox jumps over the lazy dog.",
        "The quick brown dog jumps on the log.",
        0.5506172839506173,
        0.5506172839506173,
    ),
    (
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: deny-egress\nspec:\n  endpointSelector:\n    matchLabels:\n      app: payment\n  egressDeny:\n  - toPorts:\n    - ports:\n      - port: \"443\"",
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: deny-egress-payment\nspec:\n  endpointSelector:\n    matchLabels:\n      app: payments\n  egressDeny:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: TCP",
        0.8251217578434704,
        0.8251217578434704,
    ),
    ("", "kind: Policy", 0.0, 0.0),
    ("kind: Policy", "", 0.0, 0.0),
    ("", "", 0.0, 0.0),
    (
        "café naïve 安全 Kelvin,\u{1c}end.",
        "cafe naive 安全 kelvin, end",
        0.37500000000000006,
        0.37500000000000006,
    ),
    (
        "It is a guide to action which ensures that the military always obeys the commands of the party",
        "It is a guide to action that ensures that the military will forever heed Party commands",
        0.6944444444444445,
        0.6944444444444445,
    ),
    (
        "the cat sat on the mat",
        "a cat was sitting on the rug",
        0.5434782608695652,
        0.3703703703703703,
    ),
    (
        "Block all outbound traffic from the payment pods",
        "Deny every egress connection of the payments pod",
        0.3680555555555556,
        0.3680555555555556,
    ),
    (
        "permit the frontend to reach the backend quickly",
        "allow frontend to access backend fast",
        0.5090725806451614,
        0.41218637992831536,
    ),
    (
        "KILL processes writing binaries",
        "terminate a process that writes binary files",
        0.3814262023217247,
        0.3814262023217247,
    ),
];

/// nltk PorterStemmer() (NLTK_EXTENSIONS) and ORIGINAL_ALGORITHM: (word, nltk, original)
const PORTER: &[(&str, &str, &str)] = &[
    ("caresses", "caress", "caress"),
    ("ponies", "poni", "poni"),
    ("ties", "tie", "ti"),
    ("dying", "die", "dy"),
    ("skies", "sky", "ski"),
    ("cats", "cat", "cat"),
    ("running", "run", "run"),
    ("generalization", "gener", "gener"),
    ("relational", "relat", "relat"),
    ("conditional", "condit", "condit"),
    ("rational", "ration", "ration"),
    ("valency", "valenc", "valenc"),
    ("hesitancy", "hesit", "hesit"),
    ("digitizer", "digit", "digit"),
    ("conformabli", "conform", "conform"),
    ("radicalli", "radic", "radic"),
    ("differentli", "differ", "differ"),
    ("vileli", "vile", "vile"),
    ("analogousli", "analog", "analog"),
    ("vietnamization", "vietnam", "vietnam"),
    ("predication", "predic", "predic"),
    ("operator", "oper", "oper"),
    ("feudalism", "feudal", "feudal"),
    ("decisiveness", "decis", "decis"),
    ("hopefulness", "hope", "hope"),
    ("callousness", "callous", "callous"),
    ("formaliti", "formal", "formal"),
    ("sensitiviti", "sensit", "sensit"),
    ("sensibiliti", "sensibl", "sensibl"),
    ("triplicate", "triplic", "triplic"),
    ("formative", "form", "form"),
    ("formalize", "formal", "formal"),
    ("electriciti", "electr", "electr"),
    ("electrical", "electr", "electr"),
    ("hopeful", "hope", "hope"),
    ("goodness", "good", "good"),
    ("revival", "reviv", "reviv"),
    ("allowance", "allow", "allow"),
    ("inference", "infer", "infer"),
    ("airliner", "airlin", "airlin"),
    ("gyroscopic", "gyroscop", "gyroscop"),
    ("adjustable", "adjust", "adjust"),
    ("defensible", "defens", "defens"),
    ("irritant", "irrit", "irrit"),
    ("replacement", "replac", "replac"),
    ("adjustment", "adjust", "adjust"),
    ("dependent", "depend", "depend"),
    ("adoption", "adopt", "adopt"),
    ("homologou", "homolog", "homolog"),
    ("communism", "commun", "commun"),
    ("activate", "activ", "activ"),
    ("angulariti", "angular", "angular"),
    ("homologous", "homolog", "homolog"),
    ("effective", "effect", "effect"),
    ("bowdlerize", "bowdler", "bowdler"),
    ("probate", "probat", "probat"),
    ("rate", "rate", "rate"),
    ("cease", "ceas", "ceas"),
    ("controll", "control", "control"),
    ("roll", "roll", "roll"),
    ("generalli", "gener", "gener"),
    ("fulli", "fulli", "fulli"),
    ("analogi", "analog", "analogi"),
    ("a*ded", "ad", "ad"),
    ("yyy", "yyy", "yyi"),
    ("y", "y", "y"),
    ("by", "by", "by"),
    ("ay", "ay", "ai"),
    ("sky", "sky", "sky"),
    ("news", "news", "new"),
    ("proceed", "proceed", "proce"),
    ("exceed", "exceed", "exce"),
    ("agreed", "agre", "agre"),
    ("feed", "feed", "feed"),
    ("plastered", "plaster", "plaster"),
    ("bled", "bled", "bled"),
    ("motoring", "motor", "motor"),
    ("sing", "sing", "sing"),
    ("conflated", "conflat", "conflat"),
    ("troubled", "troubl", "troubl"),
    ("sized", "size", "size"),
    ("hopping", "hop", "hop"),
    ("tanned", "tan", "tan"),
    ("falling", "fall", "fall"),
    ("hissing", "hiss", "hiss"),
    ("fizzed", "fizz", "fizz"),
    ("failing", "fail", "fail"),
    ("filing", "file", "file"),
    ("happy", "happi", "happi"),
    ("sky", "sky", "sky"),
    ("İstanbul", "i̇stanbul", "i̇stanbul"),
    ("Ωmega", "ωmega", "ωmega"),
    ("kubernetes", "kubernet", "kubernet"),
    ("networkpolicies", "networkpolici", "networkpolici"),
    ("endpointselector", "endpointselector", "endpointselector"),
    ("matchlabels", "matchlabel", "matchlabel"),
    ("egressdeny", "egressdeni", "egressdeni"),
];

#[test]
fn sacrebleu_sentence_scores() {
    for (i, ((h, r), [bleu, chrf_pp, chrf])) in PAIRS.iter().zip(SENTENCE_SACREBLEU).enumerate() {
        close(
            sentence_bleu(h, r),
            *bleu,
            &format!("pair {i} sentence BLEU"),
        );
        close(
            sentence_chrf_pp(h, r),
            *chrf_pp,
            &format!("pair {i} chrF++"),
        );
        close(sentence_chrf(h, r), *chrf, &format!("pair {i} chrF"));
    }
}

#[test]
fn sacrebleu_corpus_scores() {
    close(corpus_bleu(PAIRS), 57.57572455847647, "corpus BLEU");
    close(corpus_chrf_pp(PAIRS), 71.23237836082441, "corpus chrF++");
    close(corpus_chrf(PAIRS), 73.24415434979824, "corpus chrF");
}

#[test]
fn rouge_score_values() {
    for (i, (h, r)) in PAIRS.iter().enumerate() {
        for (stem, table) in [(false, ROUGE_PLAIN), (true, ROUGE_STEM)] {
            let s = rouge_scores(r, h, stem);
            let got = [s.rouge1, s.rouge2, s.rouge_l, s.rouge_lsum].map(|x| x.fmeasure);
            for (k, name) in ["rouge1", "rouge2", "rougeL", "rougeLsum"]
                .iter()
                .enumerate()
            {
                close(got[k], table[i][k], &format!("pair {i} {name} stem={stem}"));
            }
        }
    }
}

#[test]
fn meteor_values() {
    let wn = fixture_wordnet();
    for (h, r, with_wn, without) in METEOR {
        close(
            meteor(h, r, Some(&wn)),
            *with_wn,
            &format!("METEOR+WordNet {h:?}"),
        );
        close(
            meteor(h, r, None),
            *without,
            &format!("METEOR exact+stem {h:?}"),
        );
    }
}

#[test]
fn meteor_with_system_wordnet_if_installed() {
    let dir = std::env::var("KUBESCRIBE_WORDNET").unwrap_or_else(|_| "/usr/share/wordnet".into());
    let Ok(wn) = WordNet::load(&dir) else {
        eprintln!("skipping: no WordNet database at {dir}");
        return;
    };
    for (h, r, with_wn, _) in METEOR {
        close(
            meteor(h, r, Some(&wn)),
            *with_wn,
            &format!("METEOR+system WordNet {h:?}"),
        );
    }
}

#[test]
fn porter_stemmer_values() {
    let nltk = PorterStemmer::new(PorterMode::NltkExtensions);
    let orig = PorterStemmer::new(PorterMode::OriginalAlgorithm);
    for (w, s, o) in PORTER {
        assert_eq!(nltk.stem(w), *s, "NLTK_EXTENSIONS stem of {w:?}");
        assert_eq!(nltk.stem_cached(w), *s, "cached stem of {w:?}");
        assert_eq!(orig.stem(w), *o, "ORIGINAL_ALGORITHM stem of {w:?}");
    }
}

#[test]
fn convenience_api_matches_individual_metrics() {
    let wn = std::sync::Arc::new(fixture_wordnet());
    let opts = Options {
        wordnet: Some(wn),
        parallel: true,
    };
    let (h, r) = PAIRS[0];
    let p = score_pair(h, r, &opts);
    close(p.bleu, SENTENCE_SACREBLEU[0][0], "pair bleu");
    close(p.chrf_pp, SENTENCE_SACREBLEU[0][1], "pair chrF++");
    close(p.rouge_l, ROUGE_PLAIN[0][2], "pair rougeL");
    close(p.rouge_lsum_stem, ROUGE_STEM[0][3], "pair rougeLsum_stem");
    close(p.meteor, METEOR[0].2, "pair meteor");
    let c = score_corpus(PAIRS, &opts);
    close(c.bleu, 57.57572455847647, "corpus BLEU");
    close(c.chrf_pp, 71.23237836082441, "corpus chrF++");
    let mean_r1 = ROUGE_PLAIN.iter().map(|r| r[0]).sum::<f64>() / ROUGE_PLAIN.len() as f64;
    close(c.rouge1, mean_r1, "mean rouge1");
    assert_eq!(c.pairs, PAIRS.len());
}
