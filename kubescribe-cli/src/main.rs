//! `kubescribe`: validated runtime-security policies from intents and observed behaviour.

mod backend;
mod cluster_cmd;
mod context_cmd;
mod convert_cmd;
mod dataset_cmd;
mod eval_cmd;
mod generate;
mod intent_cmd;
mod pipeline_cmd;
mod prompt_cmd;
mod score;
mod simulate_cmd;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{CoreError, PolicyKind};
use kubescribe_validate::{DocumentReport, Validator, syntax_report};

/// mimalloc: ingestion allocates a few short strings per event, and the
/// system allocator costs it ~8% of its throughput (see the issue-4 note).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kubescribe",
    version,
    about = "Validated runtime-security policies for KubeArmor, Tetragon, Cilium, Kubernetes NetworkPolicy and Calico"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate policy documents (YAML or JSON, multi-document, `-` for stdin).
    ///
    /// Each document is checked against the built-in schema of its kind
    /// (kubescribe's typed models, which carry the upstream CRD's
    /// constraints) with the API server's semantics: nulls pruned, unknown
    /// fields rejected, int-or-string, object-name rules. `--crd` adds the
    /// schema of a CRD (or an OpenAPI v3 document) you supply.
    ///
    /// `--store` adds layers 2 and 3 against the event store: the policy's
    /// selector (Calico expressions too) and its peers must match workloads
    /// the store knows (nearest label suggested); the ports and protocols of
    /// allow rules must be served by the selected pods (ingress) or the
    /// peers (egress), as the manifests declare or flows show (the port
    /// really served suggested); CIDRs must parse, and 0.0.0.0/0 or ::/0 in
    /// an allow, or a host written as a wide block (10.1.2.3/8), is a
    /// warning; KubeArmor paths and binaries are compared with what the
    /// selected workloads did.
    ///
    /// Exit status: 0 all documents valid, 1 some document invalid (including
    /// malformed YAML), 2 some file could not be read (missing, not UTF-8,
    /// over the size limit).
    Validate {
        /// Policy files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A CRD (YAML/JSON) or OpenAPI v3 document to validate against as well; repeatable.
        #[arg(long = "crd", value_name = "CRD.yaml")]
        crds: Vec<PathBuf>,
        /// Validate against the --crd schemas only, not the built-in ones.
        #[arg(long, requires = "crds")]
        crd_only: bool,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Largest accepted input file, in MiB.
        #[arg(long, default_value_t = 16)]
        max_file_mib: usize,
        /// An event store (see `kubescribe ingest`) for the layer-2/3 checks.
        #[arg(long)]
        store: Option<PathBuf>,
        /// Also validate against the cluster: layer 1 against the CRDs it
        /// holds (CEL rules included), layers 2/3 against live pods and
        /// Services (selected pods exist, peers exist, ports are served), then
        /// a server-side dry-run apply as the final check.
        #[arg(long)]
        cluster: bool,
        #[command(flatten)]
        cluster_args: cluster_cmd::ClusterArgs,
    },
    /// Apply policies to the cluster with server-side apply (field manager
    /// `kubescribe`), after they pass every layer: layer 1 (built-in schema,
    /// the cluster's CRD and its CEL rules), layers 2/3 against live objects
    /// (skip with --skip-resource-checks). Conflicts and transient errors are
    /// retried with backoff; the report says what was created, configured
    /// (with the changed fields) or unchanged.
    ///
    /// Exit status: 0 everything applied, 1 some document invalid or
    /// rejected by the server (nothing applied for it), 2 unreadable input or
    /// no reachable cluster.
    Apply {
        /// Policy files (YAML/JSON, multi-document); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `server`: server-side dry run (validated and admitted, not stored).
        #[arg(long, value_enum, default_value_t = cluster_cmd::DryRun::None, value_name = "MODE")]
        dry_run: cluster_cmd::DryRun,
        /// Take over fields another field manager owns.
        #[arg(long)]
        force_conflicts: bool,
        /// Apply without the layer-2/3 checks against live objects (e.g. before the workloads exist).
        #[arg(long)]
        skip_resource_checks: bool,
        /// A CRD to validate against in place of the cluster's (repeatable).
        #[arg(long = "crd", value_name = "CRD.yaml")]
        crds: Vec<PathBuf>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = cluster_cmd::Format::Text)]
        output: cluster_cmd::Format,
        #[command(flatten)]
        cluster_args: cluster_cmd::ClusterArgs,
    },
    /// Show what the cluster runs: policy engines (by their CRDs),
    /// namespaces, pods (labels, container ports, owning controller) and
    /// Services (selectors, ports).
    Cluster {
        /// Only this namespace's pods and Services.
        #[arg(long, short = 'n')]
        namespace: Option<String>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = cluster_cmd::Format::Text)]
        output: cluster_cmd::Format,
        #[command(flatten)]
        cluster_args: cluster_cmd::ClusterArgs,
    },
    /// Score generated policies against references: BLEU and chrF++ (as
    /// sacrebleu), ROUGE-1/2/L/Lsum (as rouge-score, with and without
    /// stemming), METEOR (as nltk; synonyms only with --wordnet).
    ///
    /// With --pairs, reads JSONL lines {"id", "hypothesis", "reference"} and
    /// writes one JSON line of scores per pair, then a line with
    /// "id": "__corpus__" holding corpus BLEU and chrF++ and the mean ROUGE
    /// and METEOR. Scales: BLEU and chrF++ 0-100, ROUGE and METEOR 0-1.
    Score {
        /// HYP_FILE REF_FILE: one pair, each file one text.
        files: Vec<PathBuf>,
        /// JSONL file of pairs.
        #[arg(long, value_name = "PAIRS.jsonl", conflicts_with = "files")]
        pairs: Option<PathBuf>,
        /// WordNet 3.0 dict directory (e.g. /usr/share/wordnet from Debian's wordnet-base).
        #[arg(long, value_name = "DIR")]
        wordnet: Option<PathBuf>,
    },
    /// Ingest runtime events and Kubernetes manifests into an event store.
    ///
    /// Formats are detected per record: Falco JSON output, Tetragon JSON
    /// export, KubeArmor logs/alerts (`karmor logs --json`, or an
    /// Elasticsearch response dump), Hubble flows (`hubble observe -o json`),
    /// and Kubernetes manifests (YAML or JSON; Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, Job, Pod, Service). Bad records are reported
    /// with file:line and skipped. Re-ingesting a file is a no-op.
    ///
    /// Exit status: 0 every record stored (or skipped as carrying no workload
    /// activity, e.g. Falco audit alerts), 1 some records malformed or of an
    /// unsupported type, 2 some file unreadable or the store failed.
    Ingest {
        /// Event files (JSON lines or pretty JSON) and manifests (YAML/JSON); `-` reads event JSON from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The store (an SQLite file, created if missing).
        #[arg(long, default_value = "kubescribe.db")]
        store: PathBuf,
        /// Longest accepted record, in MiB.
        #[arg(long, default_value_t = 4)]
        max_record_mib: usize,
        /// How many skipped records to list (all are counted).
        #[arg(long, default_value_t = 20)]
        show_errors: usize,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Evaluate generators on a dataset: per-sample outputs and scores, a
    /// summary table (Markdown, CSV, JSON) and a plot, per model.
    ///
    /// The dataset is JSONL: {"id", "prompt" (text or chat messages),
    /// "reference"}. Metrics: compile rate (parses and passes layer-1
    /// validation), coverage rate (share of the reference's essential
    /// resources named), corpus BLEU and chrF++, mean ROUGE-1/2/L and METEOR.
    /// Generations are appended as they finish, so rerunning after an
    /// interruption resumes.
    Eval {
        /// Dataset JSONL.
        #[arg(long)]
        dataset: PathBuf,
        /// A generator, repeatable: `synth` (the deterministic synthesizer;
        /// prompts carry an intent as JSON), `synth:ENGINE`,
        /// `replay:OUTPUTS.jsonl` or `replay:NAME=OUTPUTS.jsonl` (recorded
        /// {"prompt", "output"} lines), `ort:DIR` (ONNX decoder with a KV
        /// cache; ORT_DYLIB_PATH), `openai:MODEL=URL` (an OpenAI-compatible
        /// server's base URL), `candle:PATH`.
        #[arg(long = "backend", required = true)]
        backends: Vec<String>,
        #[command(flatten)]
        model: backend::ModelArgs,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// WordNet 3.0 dict directory for METEOR synonyms.
        #[arg(long, value_name = "DIR")]
        wordnet: Option<PathBuf>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Generate a validated policy from an intent.
    ///
    /// The intent is JSON as `kubescribe schema intent` describes it. The
    /// policy is printed (canonical YAML, or JSON with -o json) after it has
    /// passed validation; the report goes to standard error.
    ///
    /// With `--backend synth` (the default) the deterministic synthesizer
    /// writes it, offline: what the engine cannot express is an error naming
    /// it, never a weaker policy. With a model backend (`ort`, `openai`,
    /// `candle`) the generate → validate → regenerate loop runs: the
    /// validator's findings go back into the prompt, up to --max-attempts
    /// times; --store adds the observed context to the prompt and layer-2
    /// checks; --trace FILE records every prompt, answer and diagnostic.
    ///
    /// With --events (files ingested into a temporary store) or --store,
    /// the policy must also pass layer 2 against the store, and a report
    /// follows on standard error: each layer's findings, then the store's
    /// events of the policy's namespace replayed against it (allowed,
    /// audited, blocked; the blocked ones listed). The main job, offline:
    /// `kubescribe generate --intent "block writes to /etc/nginx/ for
    /// app=nginx in namespace shop" --events examples/events/*.jsonl
    /// examples/manifests/shop.yaml`.
    ///
    /// Exit status: 0 a valid policy was printed, 1 the intent cannot be
    /// expressed / every attempt failed, 2 the intent, store or model could
    /// not be read.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["intent", "intent_file"])))]
    Generate {
        /// The intent in natural language, e.g. "block writes to /etc for
        /// app=nginx in namespace shop" (see `kubescribe intent parse`).
        #[arg(long, value_name = "TEXT")]
        intent: Option<String>,
        /// Intent JSON file (`-` for standard input).
        #[arg(long, value_name = "INTENT.json")]
        intent_file: Option<PathBuf>,
        /// Target engine (default: the intent's, else by domain: kubearmor
        /// for file/process/syscall/capability, kubernetes for network).
        #[arg(long)]
        engine: Option<String>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = PolicyFormat::Yaml)]
        output: PolicyFormat,
        /// Who writes the policy.
        #[arg(long, value_enum, default_value_t = backend::Backend::Synth)]
        backend: backend::Backend,
        #[command(flatten)]
        model: backend::ModelArgs,
        /// Most generations of the regeneration loop.
        #[arg(long, default_value_t = 3, value_name = "N")]
        max_attempts: usize,
        /// Write the loop's trace (attempts, prompts, raw outputs,
        /// diagnostics, timings, tokens) as JSON.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Event store: observed context for the prompt, layer-2 checks,
        /// and the report (each layer's findings, the store's events of the
        /// policy's namespace replayed against it).
        #[arg(long, value_name = "kubescribe.db")]
        store: Option<PathBuf>,
        /// Runtime events and manifests (Falco, Tetragon, KubeArmor, Hubble
        /// JSON; Kubernetes YAML/JSON, as `kubescribe ingest` reads them),
        /// ingested into a temporary store used as --store is.
        #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "store")]
        events: Vec<PathBuf>,
        /// When every attempt fails, print the deterministic synthesizer's
        /// policy instead (reported as a fallback).
        #[arg(long)]
        fallback_synth: bool,
        #[command(flatten)]
        apply: cluster_cmd::GenerateApply,
    },
    /// Convert network policies between Kubernetes, Cilium and Calico.
    ///
    /// Each input document (a Kubernetes NetworkPolicy, Cilium
    /// CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy, or Calico
    /// NetworkPolicy / GlobalNetworkPolicy / Staged*) is validated, converted
    /// through an engine-neutral model, and the result validated again. The
    /// converted documents go to standard output; what the target cannot
    /// express is listed as losses on standard error (JSON pointer and line
    /// in the source, the feature, why, what was done), never dropped
    /// silently. A selector with `||` may become several policies.
    ///
    /// Examples:
    ///   kubescribe convert np.yaml --to cilium
    ///   kubescribe convert calico/*.yaml --to kubernetes --strict -o json
    ///
    /// Exit status: 0 every document converted (losses are warnings unless
    /// --strict), 1 some document invalid, not a network policy, not
    /// expressible in the target, or refused by --strict, 2 some file
    /// unreadable.
    Convert {
        /// Policy files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Target engine: kubernetes, cilium or calico.
        #[arg(long)]
        to: String,
        /// Refuse a conversion that would lose anything.
        #[arg(long)]
        strict: bool,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = ConvertFormat::Yaml)]
        output: ConvertFormat,
        /// Largest accepted input file, in MiB.
        #[arg(long, default_value_t = 16)]
        max_file_mib: usize,
    },
    /// Summarize what the selected workloads were observed doing (from an
    /// event store), as a prompt carries it: paths collapsed into
    /// directories, addresses into CIDRs, ports into ranges, most frequent
    /// first, within a token budget. Every observation stays covered.
    Context {
        /// The store (see `kubescribe ingest`).
        #[arg(long, default_value = "kubescribe.db")]
        store: PathBuf,
        /// Namespace of the workloads.
        #[arg(long)]
        namespace: Option<String>,
        /// Label selector, `k=v[,k=v...]`.
        #[arg(long)]
        selector: Option<String>,
        /// Token budget (estimated as characters / 4).
        #[arg(long, default_value_t = 400)]
        budget: usize,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replay the events of a store against policies: what would be allowed,
    /// audited or blocked, per rule, before the policies are applied.
    ///
    /// Kubernetes NetworkPolicy, Cilium and Calico (L3/L4: default deny once
    /// a policy selects a pod in a direction, union of allows, Cilium deny
    /// rules first, Calico order, tiers and Allow/Deny/Pass/Log) and
    /// KubeArmor (file, process, network, capabilities; Block first, then the
    /// allow-list with the default posture, Audit). An event that lacks data
    /// a rule needs (peer labels, a port, the process) is `unknown`, never
    /// allowed. Parts a policy has that are not simulated are listed.
    ///
    /// Examples:
    ///   kubescribe ingest hubble-flows.json manifests.yaml --store kubescribe.db
    ///   kubescribe simulate netpol.yaml --store kubescribe.db
    ///   kubescribe simulate ka-nginx.yaml --namespace shop --posture audit -o json
    ///
    /// Counts are observations (a stored row seen N times counts N).
    /// Exit status: 0 nothing blocked, 1 some event blocked, 2 unreadable
    /// policy or store, or a policy the simulator cannot read (a bad Calico
    /// selector).
    #[command(verbatim_doc_comment)]
    Simulate {
        /// Policy files (YAML/JSON, multi-document).
        #[arg(required = true, value_name = "POLICY.yaml")]
        policies: Vec<PathBuf>,
        /// The store (see `kubescribe ingest`).
        #[arg(long, default_value = "kubescribe.db")]
        store: PathBuf,
        /// Only events of pods in this namespace.
        #[arg(long)]
        namespace: Option<String>,
        /// KubeArmor's default posture outside an allow-list.
        #[arg(long, value_enum, default_value_t = PostureArg::Block)]
        posture: PostureArg,
        /// Output format: text (totals, per-rule counts, blocked events) or
        /// json (everything, each event with its decision).
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// How many blocked events the text output lists.
        #[arg(long, default_value_t = 50)]
        max_listed: usize,
    },
    /// Work with natural-language intents.
    Intent {
        #[command(subcommand)]
        what: IntentCommand,
    },
    /// Print the prompt a model gets for an intent: the engine's system
    /// prompt (grammar essentials), then the task with its scope, the
    /// workload context observed in the store (summarized within --budget
    /// tokens) and the intent, in one of five templates. Strings from logs
    /// are quoted so they cannot pose as instructions.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["intent", "intent_file"])))]
    Prompt {
        /// The intent in natural language (see `kubescribe intent parse`).
        #[arg(long, value_name = "TEXT")]
        intent: Option<String>,
        /// Intent JSON file (`-` for standard input).
        #[arg(long, value_name = "INTENT.json")]
        intent_file: Option<PathBuf>,
        /// Target engine (default: the intent's, else by domain).
        #[arg(long)]
        engine: Option<String>,
        /// Event store for the workload context (and pod names in --intent).
        #[arg(long, value_name = "kubescribe.db")]
        store: Option<PathBuf>,
        /// zero-shot, few-shot, checklist, schema-first or minimal.
        #[arg(long, default_value = "zero-shot", value_parser = parse_template)]
        template: kubescribe_synth::prompt::Template,
        /// Token budget of the workload context (estimated as characters / 4).
        #[arg(long, default_value_t = 400, value_name = "N")]
        budget: usize,
        /// Format the messages with this model's chat template (a model
        /// directory with tokenizer_config.json, or a GGUF file; ChatML when
        /// it has none).
        #[arg(long, value_name = "MODEL")]
        chat: Option<PathBuf>,
        /// json: {engine, kind, template, messages} (with --chat: {chat_template, text}).
        #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
        output: TextFormat,
    },
    /// Build datasets of (prompt, policy) pairs for fine-tuning and `kubescribe eval`.
    Dataset {
        #[command(subcommand)]
        what: DatasetCommand,
    },
    /// Print a JSON Schema: of the intent, or of a policy kind's built-in schema.
    Schema {
        #[command(subcommand)]
        what: SchemaCommand,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Policies (YAML/JSON files, directories searched recursively) → JSONL
    /// pairs in OUT: train.jsonl and test.jsonl (lines {id, prompt as chat
    /// messages, reference, intent, engine, kind, template, origin, group,
    /// source}, as `kubescribe eval --dataset` reads them), skipped.jsonl
    /// (every document not used, with the reason) and manifest.json.
    ///
    /// Each policy valid at layer 1 whose meaning an intent can state fully
    /// gives one pair with itself as the reference, plus --augment variants
    /// (namespace, labels, paths, binaries, ports, peers and CIDRs
    /// recombined from the policies, the store and a built-in pool) written
    /// by the deterministic synthesizer; every reference passes layer 1.
    /// Templates rotate (seeded). The split is by seed policy, so variants
    /// of a test policy never train. The same inputs and seed give the same
    /// bytes.
    ///
    /// Exit status: 0 pairs written, 1 no pair could be made, 2 unreadable input.
    Build {
        /// Policy files or directories; repeatable.
        #[arg(long = "policies", required = true, num_args = 1.., value_name = "DIR")]
        policies: Vec<PathBuf>,
        /// Event store: workload values for augmentation, context in prompts.
        #[arg(long, value_name = "kubescribe.db")]
        store: Option<PathBuf>,
        /// Output directory (created).
        #[arg(long)]
        out: PathBuf,
        /// Seed of every random choice.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Share of seed policies (with their variants) in the test split.
        #[arg(long, default_value_t = 0.2)]
        test_share: f64,
        /// Synthesized variants per seed policy.
        #[arg(long, default_value_t = 4, value_name = "N")]
        augment: usize,
        /// Templates to rotate through (comma-separated; default all five).
        #[arg(long, value_delimiter = ',', value_parser = parse_template)]
        templates: Vec<kubescribe_synth::prompt::Template>,
        /// Token budget of the store context in prompts.
        #[arg(long, default_value_t = 300, value_name = "N")]
        budget: usize,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn parse_template(s: &str) -> std::result::Result<kubescribe_synth::prompt::Template, String> {
    s.parse()
}

#[derive(Subcommand)]
enum IntentCommand {
    /// Parse a natural-language intent: prints the `Intent`, the entities
    /// found with their byte spans, and the assumptions made.
    ///
    /// Without --backend the offline lexicon + patterns parser runs: missing
    /// or ambiguous information is an error naming what to supply (exit 1).
    /// With --backend candle|ort|openai a language model writes the intent
    /// as JSON under the intent schema (decoding is free, the reply checked
    /// afterwards); invalid replies are fed back for another
    /// attempt (--max-attempts), values the model added that are not in the
    /// text are listed as assumptions. Exit 1 when no attempt gave a valid
    /// intent, 2 when the model or store cannot be used.
    Parse {
        /// The intent, e.g. "only allow app=web in namespace shop to reach api.example.com on 443/tcp".
        text: String,
        /// Resolve pod names to labels through this event store's workloads.
        #[arg(long)]
        store: Option<PathBuf>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
        output: TextFormat,
        /// Parse with a language model on this backend (candle, ort, openai)
        /// instead of the offline parser.
        #[arg(long, value_enum)]
        backend: Option<backend::Backend>,
        /// Model attempts before giving up (with --backend).
        #[arg(long, default_value_t = 3)]
        max_attempts: usize,
        #[command(flatten)]
        model: backend::ModelArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TextFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// The engine-agnostic intent.
    Intent,
    /// A policy kind's built-in schema, e.g. `KubeArmorPolicy` or `projectcalico.org/v3/NetworkPolicy`.
    Policy {
        /// Kind name (or apiVersion/kind when ambiguous).
        kind: String,
    },
    /// List the modelled policy kinds.
    Kinds,
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyFormat {
    /// Canonical YAML.
    Yaml,
    /// JSON: {"policy", "kind", "engine", "diagnostics"}.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvertFormat {
    /// The converted documents as YAML (`---` between them); losses on standard error.
    Yaml,
    /// One JSON list of per-document results: {source, index, line, kind,
    /// name, converted, policies, losses} or {…, converted: false, error, details}.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PostureArg {
    /// Block what the allow-list does not name (KubeArmor's default).
    Block,
    /// Allow and audit it.
    Audit,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// Human-readable, one line per finding with file:line.
    Text,
    /// One JSON document: a list of per-document reports.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate {
            files,
            crds,
            crd_only,
            output,
            max_file_mib,
            store,
            cluster,
            cluster_args,
        } => validate(
            &files,
            &crds,
            crd_only,
            output,
            max_file_mib,
            store.as_deref(),
            cluster.then_some(&cluster_args),
        ),
        Command::Apply {
            files,
            dry_run,
            force_conflicts,
            skip_resource_checks,
            crds,
            output,
            cluster_args,
        } => cluster_cmd::apply(
            &files,
            &cluster_args,
            &crds,
            dry_run,
            force_conflicts,
            skip_resource_checks,
            output,
        ),
        Command::Cluster {
            namespace,
            output,
            cluster_args,
        } => cluster_cmd::info(&cluster_args, namespace.as_deref(), output),
        Command::Schema { what } => schema(what),
        Command::Convert {
            files,
            to,
            strict,
            output,
            max_file_mib,
        } => convert_cmd::run(
            &files,
            &to,
            strict,
            matches!(output, ConvertFormat::Json),
            max_file_mib,
        ),
        Command::Simulate {
            policies,
            store,
            namespace,
            posture,
            output,
            max_listed,
        } => simulate_cmd::run(&simulate_cmd::Args {
            policies: &policies,
            store: &store,
            namespace: namespace.as_deref(),
            json: matches!(output, Output::Json),
            posture: match posture {
                PostureArg::Block => kubescribe_simulate::Posture::Block,
                PostureArg::Audit => kubescribe_simulate::Posture::Audit,
            },
            max_listed,
        }),
        Command::Context {
            store,
            namespace,
            selector,
            budget,
            json,
        } => context_cmd::run(
            &store,
            namespace.as_deref(),
            selector.as_deref(),
            budget,
            json,
        ),
        Command::Generate {
            intent,
            intent_file,
            engine,
            output,
            backend,
            model,
            max_attempts,
            trace,
            store,
            events,
            fallback_synth,
            apply,
        } => 'generate: {
            // The temporary store lives until the command is done.
            let mut _temporary = None;
            let store = if events.is_empty() {
                store
            } else {
                match generate::ingest_events(&events) {
                    Ok((dir, path)) => {
                        _temporary = Some(dir);
                        Some(path)
                    }
                    Err(e) => break 'generate Err(e),
                }
            };
            let source = match (&intent, &intent_file) {
                (Some(text), _) => generate::IntentSource::Text(text),
                (None, Some(path)) => generate::IntentSource::File(path),
                (None, None) => unreachable!("clap requires --intent or --intent-file"),
            };
            let source = if apply.use_cluster {
                match cluster_cmd::cluster_intent(&apply, source, engine.as_deref()) {
                    Ok(Ok(intent)) => generate::IntentSource::Parsed(Box::new(intent)),
                    Ok(Err(code)) => break 'generate Ok(code),
                    Err(e) => break 'generate Err(e),
                }
            } else {
                source
            };
            let apply = apply.apply.then_some(&apply);
            if backend == backend::Backend::Synth && trace.is_none() && store.is_none() {
                generate::run(
                    source,
                    engine.as_deref(),
                    matches!(output, PolicyFormat::Json),
                    apply,
                )
            } else {
                let args = pipeline_cmd::LoopArgs {
                    engine: engine.as_deref(),
                    backend,
                    model: &model,
                    max_attempts,
                    trace: trace.as_deref(),
                    store: store.as_deref(),
                    fallback_synth,
                    json: matches!(output, PolicyFormat::Json),
                    apply,
                };
                match source {
                    generate::IntentSource::File(path) => pipeline_cmd::run(path, &args),
                    // The store, when given, resolves pod names in the text.
                    generate::IntentSource::Text(text) => {
                        generate::parse_text(text, store.as_deref()).and_then(|parsed| match parsed
                        {
                            Ok(intent) => pipeline_cmd::run_intent(intent, &args),
                            Err(code) => Ok(code),
                        })
                    }
                    generate::IntentSource::Parsed(intent) => {
                        pipeline_cmd::run_intent(*intent, &args)
                    }
                }
            }
        }
        Command::Intent {
            what:
                IntentCommand::Parse {
                    text,
                    store,
                    output,
                    backend,
                    max_attempts,
                    model,
                },
        } => intent_cmd::run(
            &text,
            store.as_deref(),
            matches!(output, TextFormat::Json),
            backend.map(|b| intent_cmd::Llm {
                backend: b,
                model: &model,
                max_attempts,
            }),
        ),
        Command::Prompt {
            intent,
            intent_file,
            engine,
            store,
            template,
            budget,
            chat,
            output,
        } => prompt_cmd::run(&prompt_cmd::Args {
            source: match (&intent, &intent_file) {
                (Some(text), _) => generate::IntentSource::Text(text),
                (None, Some(path)) => generate::IntentSource::File(path),
                (None, None) => unreachable!("clap requires --intent or --intent-file"),
            },
            engine: engine.as_deref(),
            store: store.as_deref(),
            template,
            budget,
            chat: chat.as_deref(),
            json: matches!(output, TextFormat::Json),
        }),
        Command::Dataset {
            what:
                DatasetCommand::Build {
                    policies,
                    store,
                    out,
                    seed,
                    test_share,
                    augment,
                    templates,
                    budget,
                    quiet,
                },
        } => dataset_cmd::build(&dataset_cmd::BuildArgs {
            policies: &policies,
            store: store.as_deref(),
            out: &out,
            seed,
            test_share,
            augment,
            templates: &templates,
            budget,
            quiet,
        }),
        Command::Eval {
            dataset,
            backends,
            model,
            out,
            wordnet,
            quiet,
        } => eval_cmd::run(&dataset, &backends, &model, &out, wordnet.as_deref(), quiet),
        Command::Ingest {
            files,
            store,
            max_record_mib,
            show_errors,
            quiet,
        } => ingest(&files, &store, max_record_mib, show_errors, quiet),
        Command::Score {
            files,
            pairs,
            wordnet,
        } => score::run(&files, pairs.as_deref(), wordnet.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kubescribe: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn schema(what: SchemaCommand) -> Result<ExitCode> {
    let value = match what {
        SchemaCommand::Intent => kubescribe_core::intent::intent_schema(),
        SchemaCommand::Kinds => {
            for k in PolicyKind::ALL {
                println!("{:<11} {}/{}", k.engine().name(), k.api_version(), k.kind());
            }
            return Ok(ExitCode::SUCCESS);
        }
        SchemaCommand::Policy { kind } => {
            let found: Vec<PolicyKind> = PolicyKind::ALL
                .iter()
                .copied()
                .filter(|k| {
                    k.kind().eq_ignore_ascii_case(&kind)
                        || format!("{}/{}", k.api_version(), k.kind()).eq_ignore_ascii_case(&kind)
                })
                .collect();
            match found.as_slice() {
                [k] => kubescribe_core::policy::schema::builtin_schema(*k),
                [] => anyhow::bail!("unknown kind {kind:?}; `kubescribe schema kinds` lists them"),
                many => anyhow::bail!(
                    "{kind:?} is ambiguous: {}",
                    many.iter()
                        .map(|k| format!("{}/{}", k.api_version(), k.kind()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}

fn ingest(
    files: &[PathBuf],
    store_path: &std::path::Path,
    max_record_mib: usize,
    show_errors: usize,
    quiet: bool,
) -> Result<ExitCode> {
    use indicatif::{ProgressBar, ProgressStyle};
    use kubescribe_events::store::{EventStore, SqliteStore};
    use kubescribe_events::{IngestOptions, IngestSummary, SkipReason, ingest_file, ingest_reader};

    let mut store = SqliteStore::open(store_path)
        .with_context(|| format!("opening store {}", store_path.display()))?;
    let options = IngestOptions {
        max_record_bytes: max_record_mib.saturating_mul(1024 * 1024),
        ..IngestOptions::default()
    };
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total_bytes)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut total = IngestSummary::default();
    let mut failed = Vec::new();
    let mut done_bytes = 0u64;
    for file in files {
        let name = file.display().to_string();
        let mut on_progress = |p: &kubescribe_events::Progress<'_>| {
            bar.set_position(done_bytes + p.bytes_read);
            bar.set_message(format!("{name}: {} records", p.records_read));
        };
        let result = if file.as_os_str() == "-" {
            ingest_reader(
                &mut store,
                "<stdin>",
                std::io::stdin().lock(),
                &options,
                &mut on_progress,
            )
        } else {
            ingest_file(&mut store, file, &options, &mut on_progress)
        };
        match result {
            Ok(sum) => {
                if sum.files_already_ingested > 0 {
                    bar.suspend(|| eprintln!("{name}: already ingested, skipped"));
                }
                total.merge(&sum, show_errors)
            }
            Err(e) => failed.push(e.to_string()),
        }
        done_bytes += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    for e in &failed {
        writeln!(out, "error: {e}")?;
    }
    for e in &total.errors {
        writeln!(out, "{e}")?;
    }
    let skipped = total.records_skipped();
    if skipped as usize > total.errors.len() {
        writeln!(
            out,
            "... {} more skipped record(s) not listed (--show-errors)",
            skipped as usize - total.errors.len()
        )?;
    }
    let join = |m: Vec<String>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.join(", ")
        }
    };
    writeln!(
        out,
        "{} file(s) ({} already ingested, {} unreadable), {} bytes",
        total.files + failed.len() as u64,
        total.files_already_ingested,
        failed.len(),
        total.bytes
    )?;
    writeln!(
        out,
        "records: {} read, {} stored, {} skipped",
        total.records_read, total.records_stored, skipped
    )?;
    writeln!(
        out,
        "formats: {}",
        join(
            total
                .formats
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        )
    )?;
    writeln!(
        out,
        "events: {} ({}), workloads: {}",
        total.total_events(),
        join(
            total
                .events_stored
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        ),
        total.workloads_stored
    )?;
    writeln!(
        out,
        "skipped: {}",
        join(
            total
                .skipped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        )
    )?;
    let counts = store.counts()?;
    writeln!(
        out,
        "store {}: {} process, {} file, {} flow, {} syscall rows ({} observations), {} workloads, {} pods",
        store_path.display(),
        counts.processes,
        counts.files,
        counts.flows,
        counts.syscalls,
        counts.observations,
        counts.workloads,
        counts.pods
    )?;
    // Records that carry no workload activity (Falco audit alerts, a
    // ServiceAccount in a manifest) are expected; anything else is bad input.
    let bad = total
        .skipped
        .iter()
        .any(|(reason, n)| *reason != SkipReason::NotRuntimeActivity && *n > 0);
    Ok(if !failed.is_empty() {
        ExitCode::from(2)
    } else if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file that could not be read at all.
struct Unreadable {
    source: String,
    error: String,
}

fn validate(
    files: &[PathBuf],
    crds: &[PathBuf],
    crd_only: bool,
    output: Output,
    max_file_mib: usize,
    store: Option<&std::path::Path>,
    cluster: Option<&cluster_cmd::ClusterArgs>,
) -> Result<ExitCode> {
    let mut validator = Validator::new().use_builtin(!crd_only);
    let mut cluster = cluster.map(|c| c.connect()).transpose()?;
    let mut store = match store {
        Some(p) if !p.exists() => anyhow::bail!(
            "no store at {} (create one with `kubescribe ingest FILE... --store {}`)",
            p.display(),
            p.display()
        ),
        Some(p) => Some(
            kubescribe_events::store::SqliteStore::open(p)
                .with_context(|| format!("opening {}", p.display()))?,
        ),
        None => None,
    };
    // The store presented as a cluster, read once for every policy.
    let mut snapshot = match store.as_mut() {
        Some(s) => Some(
            kubescribe_events::cluster::ClusterSnapshot::from_store(s)
                .context("reading the event store")?,
        ),
        None => None,
    };
    let mut layer2 = |policy: &kubescribe_core::Policy,
                      cluster: Option<&mut kubescribe_kube::KubeCluster>|
     -> Vec<kubescribe_validate::Diagnostic> {
        let mut out = match store
            .as_mut()
            .zip(snapshot.as_mut())
            .map(|(s, snap)| kubescribe_validate::resources::check_with(policy, s, snap))
        {
            None => Vec::new(),
            Some(Ok(d)) => d,
            Some(Err(e)) => vec![kubescribe_validate::Diagnostic::schema_error(
                "",
                "store",
                format!("event store: {e}"),
            )],
        };
        if let Some(c) = cluster {
            out.extend(kubescribe_kube::checks::final_checks(c, policy, true));
        }
        out
    };
    for crd in crds {
        validator
            .add_crd_file(crd)
            .with_context(|| format!("loading CRD {}", crd.display()))?;
    }
    let limits = ReadLimits {
        max_bytes: max_file_mib.saturating_mul(1024 * 1024),
        ..ReadLimits::default()
    };
    let mut reports: Vec<DocumentReport> = Vec::new();
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for file in files {
        let read = if file.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(limits.max_bytes as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| CoreError::Unreadable {
                    source_name: "<stdin>".into(),
                    reason: e.to_string(),
                })
                .and_then(|_| document::read_bytes("<stdin>", &buf, &limits))
        } else {
            document::read_file(file, &limits)
        };
        match read {
            Ok(set) => {
                if set.documents.is_empty() {
                    eprintln!("{}: warning: no documents", set.source);
                }
                if let Some(c) = cluster.as_mut() {
                    let notes = kubescribe_kube::checks::add_cluster_crds(
                        c,
                        &mut validator,
                        set.documents.iter().map(|d| &d.value),
                    )
                    .context("reading CRDs from the cluster")?;
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                }
                reports.extend(
                    validator.validate_set_with(&set, &mut |p| layer2(p, cluster.as_mut())),
                );
            }
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => reports.push(syntax_report(source_name, line, column, message)),
            Err(e) => unreadable.push(Unreadable {
                source: file.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json => {
            let mut list: Vec<serde_json::Value> = reports
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            list.extend(unreadable.iter().map(
                |u| serde_json::json!({"source": u.source, "valid": false, "error": u.error}),
            ));
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Output::Text => write_text(&mut out, &reports, &unreadable)?,
    }
    Ok(if !unreadable.is_empty() {
        ExitCode::from(2)
    } else if reports.iter().any(|r| !r.valid) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_text(
    out: &mut impl Write,
    reports: &[DocumentReport],
    unreadable: &[Unreadable],
) -> Result<()> {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (red, yellow, green, dim, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    for u in unreadable {
        writeln!(out, "{}: {red}cannot read{reset}: {}", u.source, u.error)?;
    }
    for r in reports {
        let what = match (&r.kind, &r.name) {
            (Some(k), Some(n)) => format!("{k} {n}"),
            (Some(k), None) => k.clone(),
            _ => format!("document {}", r.index),
        };
        let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
        if r.valid && r.diagnostics.is_empty() {
            writeln!(out, "{}{at}: {what}: {green}valid{reset}", r.source)?;
            continue;
        }
        let verdict = if r.valid {
            format!("{green}valid{reset}")
        } else {
            format!("{red}invalid{reset}")
        };
        writeln!(out, "{}{at}: {what}: {verdict}", r.source)?;
        for d in &r.diagnostics {
            let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
            let sev = if d.is_error() {
                format!("{red}error{reset}")
            } else {
                format!("{yellow}warning{reset}")
            };
            let ptr = if d.pointer.is_empty() {
                "/"
            } else {
                d.pointer.as_str()
            };
            writeln!(
                out,
                "  {}{line}: {sev}: {ptr}: {} {dim}[layer {} {}, {}]{reset}",
                r.source,
                d.message,
                d.layer.number(),
                d.rule,
                d.origin
            )?;
            if let Some(e) = &d.expected {
                writeln!(out, "      expected: {e}")?;
            }
            if let Some(f) = &d.fix {
                writeln!(out, "      fix: {}", f.message)?;
            }
        }
    }
    let invalid = reports.iter().filter(|r| !r.valid).count();
    writeln!(
        out,
        "{} document(s): {} valid, {} invalid{}",
        reports.len(),
        reports.len() - invalid,
        invalid,
        if unreadable.is_empty() {
            String::new()
        } else {
            format!(", {} file(s) unreadable", unreadable.len())
        }
    )?;
    Ok(())
}
