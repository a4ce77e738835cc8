//! The command line: [`Cli`], its [`Command`]s, each command's arguments
//! (one `…Args` struct per command), the argument groups several commands
//! share (cluster connection, model settings) and the value enums.
//!
//! Only definitions live here, so that every other module can use them;
//! the help texts are the doc comments, so a reworded comment changes
//! `--help`.
//!
//! Size: the whole command line, one struct per command plus the shared
//! groups, in one place so that `--help` reads off one set of definitions.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use kubescribe_infer::{Device, GenerationConfig};
use kubescribe_kube::{ClusterOptions, KubeCluster};

// The whole command line. (A `///` comment here would become the long help.)
#[derive(Parser)]
#[command(
    name = "kubescribe",
    version,
    about = "Validated runtime-security policies for KubeArmor, Tetragon, Cilium, Kubernetes NetworkPolicy and Calico"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// The commands, in the order `--help` lists them; each variant's doc
// comment is the command's help.
#[derive(Subcommand)]
pub enum Command {
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
    /// Layer 4 needs no store: valid but over-permissive rules are warnings
    /// with their JSON pointer and why: a KubeArmor Allow of `dir: /`
    /// (recursive) or a `/*` pattern; selectors that match every workload
    /// (`podSelector: {}`, `namespaceSelector: {}`, `endpointSelector: {}`,
    /// `fromEndpoints: [{}]`, Calico `all()`) in a policy that allows;
    /// Cilium entities `world` and `all`; 0.0.0.0/0 and ::/0; wildcard
    /// FQDNs (`*`, `*.com`); every port (Cilium port "0", 1-65535, the
    /// world with no port); allow rules with ports but no peer; allow-all
    /// rules (`ingress: [{}]`, a bare Calico Allow). --deny-warnings makes
    /// every warning an error.
    ///
    /// `--live` adds the cluster (see --live); `-o junit|tap` writes the
    /// reports for CI pipelines.
    ///
    /// Exit status: 0 all documents valid, 1 some document invalid (including
    /// malformed YAML; with --deny-warnings, any warning), 2 some file could
    /// not be read (missing, not UTF-8, over the size limit), or the store or
    /// the cluster could not be used (the cause and, for a cluster, its URL
    /// on standard error).
    Validate(ValidateArgs),
    /// Apply policies to the cluster with server-side apply (field manager
    /// `kubescribe`), after they pass every layer: layer 1 (built-in schema,
    /// the cluster's CRD and its CEL rules), layers 2/3 against live objects
    /// (skip with --skip-resource-checks). Conflicts and transient errors are
    /// retried with backoff; the report says what was created, configured
    /// (with the changed fields) or unchanged.
    ///
    /// The report lists every object touched, also when a later document
    /// fails, then the cause; a conflict with another field manager is said
    /// as a conflict, a 403 as forbidden.
    ///
    /// Exit status: 0 everything applied, 1 some document invalid or
    /// rejected by the server (nothing applied for it), 2 unreadable input,
    /// no reachable cluster, or a document the cluster could not take (a
    /// kind it does not serve, a request it forbids).
    Apply(ApplyArgs),
    /// Show what `apply` would change: each object's server-side dry run
    /// against the live object, as a unified diff (kubectl diff's output;
    /// server-managed fields such as `managedFields`, `resourceVersion`,
    /// `uid` and `status` left out).
    ///
    /// Exit status (kubectl diff's): 0 no differences, 1 some object would
    /// change (or would be created), 2 unreadable input or the cluster
    /// cannot be used (unreachable, a kind it does not serve).
    Diff(DiffArgs),
    /// Delete the objects the files name (apiVersion, kind, namespace,
    /// name), as `kubectl delete -f` does.
    ///
    /// Exit status: 0 every object deleted (or, with --ignore-not-found,
    /// already gone), 1 some object did not exist, 2 unreadable input or the
    /// cluster cannot be used.
    Delete(DeleteArgs),
    /// Show what the cluster runs: policy engines (installed: their CRDs;
    /// running: their agent DaemonSet's pods ready on the nodes, like
    /// `karmor probe`, as far as the API shows it), namespaces, pods
    /// (labels, container ports, owning controller) and Services
    /// (selectors, ports).
    ///
    /// Exit status: 0 shown, 2 the cluster cannot be used.
    Cluster(ClusterInfoArgs),
    /// Score generated policies against references: BLEU and chrF++ (as
    /// sacrebleu), ROUGE-1/2/L/Lsum (as rouge-score, with and without
    /// stemming), METEOR (as nltk; synonyms only with --wordnet).
    ///
    /// With --pairs, reads JSONL lines {"id", "hypothesis", "reference"} and
    /// writes one JSON line of scores per pair, then a line with
    /// "id": "__corpus__" holding corpus BLEU and chrF++ and the mean ROUGE
    /// and METEOR. Scales: BLEU and chrF++ 0-100, ROUGE and METEOR 0-1.
    Score(ScoreArgs),
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
    Ingest(IngestArgs),
    /// Collect events live into the store: Hubble Relay, Tetragon and the
    /// KubeArmor relay over gRPC, Falco's http_output on an HTTP listener.
    ///
    /// Every record goes through the adapters `ingest` uses, so a collected
    /// event is stored as the same event read from a file. A progress line
    /// (events/s per source) goes to standard error (-q silences it). Ctrl-C
    /// stops cleanly: everything received is committed, then the summary
    /// is printed. Dropped connections are retried with backoff; Hubble is
    /// resumed from the last flow's time (and, after a restart, from the
    /// store), and repeats are recognised by content, so nothing is stored
    /// twice. With --on-full drop, records the store cannot keep up with
    /// are dropped and counted, never silently.
    ///
    /// Examples:
    ///   kubescribe collect --hubble localhost:4245 --tetragon localhost:54321 --store live.db
    ///   kubescribe collect --kubearmor kubearmor-relay:32767 --falco-listen 0.0.0.0:2801 --falco-token "$TOKEN"
    ///   kubescribe collect --hubble hubble-relay:443 --tls-ca-cert ca.crt --tls-client-cert tls.crt \
    ///       --tls-client-key tls.key --tls-server-name instance.hubble-relay.cilium.io
    ///
    /// Exit status: 0 nothing dropped, 1 records dropped or skipped as
    /// malformed or unsupported, 2 the store or a source's settings failed.
    #[command(verbatim_doc_comment)]
    Collect(crate::commands::collect::CollectArgs),
    /// Evaluate generators on a dataset: per-sample outputs and scores, a
    /// summary table (Markdown, CSV, JSON) and a plot, per model.
    ///
    /// The dataset is JSONL: {"id", "prompt" (text or chat messages),
    /// "reference"}, optionally "intent" (an intent object; a prompt that is
    /// an intent's JSON counts as one). A sample with an intent is run as
    /// `generate` runs it: the prompt from generate's builder, decoding
    /// constrained to the schema shaped by the intent on backends that can
    /// (candle, ort; --no-constrain turns it off), and scored for fidelity.
    /// A sample without one is sent its prompt as written, unconstrained.
    /// Metrics: compile rate (parses and passes layer-1 validation),
    /// coverage rate (share of the reference's essential resources named),
    /// fidelity rate (valid and implements the intent, over samples with
    /// one), corpus BLEU and chrF++, mean ROUGE-1/2/L and METEOR.
    /// Generations are appended as they finish, so rerunning after an
    /// interruption resumes; a generation is reused only when it was made
    /// from the same prompt, decoding settings, model and backend, and a
    /// directory holding results of other inputs is refused unless --force.
    Eval(EvalArgs),
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
    /// The printed policy is also checked for over-permissive rules (layer
    /// 4, as `validate` does: `/` allowed, match-all selectors, the world,
    /// 0.0.0.0/0, wildcard domains or ports, allow-all rules); each finding
    /// is a warning on standard error with its JSON pointer.
    /// --deny-warnings refuses such a policy (exit 1, nothing printed).
    ///
    /// A policy reaches standard output only when it is valid. An intent
    /// with gaps (no workload named, a missing port, a contradiction) is
    /// refused with each gap on standard error, never guessed at. The
    /// deterministic backend (`synth`) gets one attempt: it would fail the
    /// same way again.
    ///
    /// Exit status: 0 a valid policy was printed, 1 the intent is
    /// underspecified or contradictory / cannot be expressed / the policy is
    /// not valid / every attempt failed / a warning with --deny-warnings, 2
    /// the intent, store or model could not be read.
    #[command(after_long_help = INTENT_FORMS)]
    Generate(GenerateArgs),
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
    /// Over-permissive rules in a converted policy (allow-all rules, every
    /// address, match-all selectors: layer 4 of `validate`) are warnings on
    /// standard error (and `warnings` in the JSON), marked when the source
    /// had none.
    ///
    /// Examples:
    ///   kubescribe convert np.yaml --to cilium
    ///   kubescribe convert calico/*.yaml --to kubernetes --strict -o json
    ///
    /// Exit status: 0 every document converted (losses are warnings unless
    /// --strict), 1 some document invalid, not a network policy, not
    /// expressible in the target, or refused by --strict, 2 some file
    /// unreadable.
    Convert(ConvertArgs),
    /// Summarize what the selected workloads were observed doing (from an
    /// event store), as a prompt carries it: paths collapsed into
    /// directories, addresses into CIDRs, ports into ranges, most frequent
    /// first, within a token budget. Every observation stays covered.
    Context(ContextArgs),
    /// Replay the events of a store against policies: what would be allowed,
    /// audited or blocked (or is unknown / not simulated), per rule, before
    /// the policies are applied.
    ///
    /// Kubernetes NetworkPolicy, Cilium and Calico (L3/L4: default deny once
    /// a policy selects a pod in a direction, union of allows, Cilium deny
    /// rules first, Calico order, tiers and Allow/Deny/Pass/Log) and
    /// KubeArmor (file, process, network, capabilities; Block first, then the
    /// allow-list of each operation kind with the default posture, Audit)
    /// and Tetragon (kprobe/tracepoint/LSM selectors on the calls Tetragon
    /// reported; Sigkill/Override block, Post audits). Policies are taken as
    /// the API server stores them (policyTypes, protocol and Calico types
    /// defaulted; the report lists what was filled in). An event that lacks
    /// data a rule needs (peer labels, a port, the process) is `unknown`;
    /// one a policy may govern through parts not modelled (an AppArmor
    /// profile, a Tetragon uprobe, ...) is `not simulated`, with the reason.
    /// Neither is ever counted as allowed. Parts a policy has that are not
    /// simulated are listed.
    /// Namespace labels (for namespace selectors) and container port names
    /// (for named ports) come from the Namespace and workload manifests in
    /// the store, and from the namespace labels Hubble flows carry.
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
    Simulate(SimulateArgs),
    /// Discover least-privilege allow-list policies per workload from what
    /// the store observed, with no intent: each workload (grouped by its
    /// owning manifest's pod labels, else its pods' labels without per-pod
    /// hashes; never by pod name) gets, per engine, a policy allowing what
    /// it did: KubeArmor (executables; files, aggregated into a directory
    /// when more than --dir-threshold distinct entries were seen under it,
    /// never `/`; `readOnly` where only reads were seen; socket protocols;
    /// capabilities), Tetragon (executions: `security_bprm_check` kills any
    /// other binary), Cilium, Kubernetes NetworkPolicy and Calico (ingress
    /// and egress peers by labels and namespace, CIDR or FQDN, with ports
    /// and protocols; a flow between two workloads is an egress rule of one
    /// and an ingress rule of the other). Events an operator marked denied
    /// are never allowed.
    ///
    /// Every policy is validated (layer 1 schema and API-server rules,
    /// layers 2-3 against the store, layer 4 over-permissive findings) and
    /// replayed against the store (`simulate`'s semantics): the events it
    /// was derived from must all be allowed, and what it would block is
    /// listed. Policies go to standard output (YAML, or JSON with -o json),
    /// the report to standard error.
    ///
    /// Examples:
    ///   kubescribe ingest examples/events/*.jsonl examples/manifests/shop.yaml --store shop.db
    ///   kubescribe discover --store shop.db -n shop --engine kubearmor --engine cilium > discovered.yaml
    ///   kubescribe discover --store shop.db -n shop --intent "and block writes to /etc/"
    ///   kubescribe discover --store shop.db -n shop --diff discovered.yaml
    ///   kubescribe discover --store shop.db --holdout 0.5 --thresholds 0,1,2,3,5 -o json
    ///
    /// --intent refines the allow-lists in words: the text is parsed as
    /// `intent parse` does; an intent that names no pods applies to each
    /// discovered workload. Its policies are printed and replayed with the
    /// discovered ones, and the events they block are listed apart.
    /// --diff OLD compares with a previous discovery: per policy, the
    /// permissions (a binary, a file rule, a peer on a port) added and gone.
    /// --holdout F discovers on the first F of each workload's recorded
    /// window (events by the time each was first seen) and replays the rest, per
    /// aggregation threshold: held-out benign events blocked (false blocks)
    /// against the rules' breadth; `scripts/discover/holdout_plot.py` plots it.
    ///
    /// Exit status: 0 every policy valid and every training event allowed,
    /// 1 some policy invalid or some training event not allowed (or an
    /// intent with gaps), 2 unreadable store or file.
    #[command(verbatim_doc_comment)]
    Discover(DiscoverArgs),
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
    Prompt(PromptArgs),
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
    /// Manage the event store: retention (`store prune`).
    Store {
        #[command(subcommand)]
        what: StoreCommand,
    },
}

// `kubescribe store …`.
#[derive(Subcommand)]
pub enum StoreCommand {
    /// Retention: delete the events last observed before a time, so weeks
    /// of events stay usable.
    ///
    /// A stored row is one behaviour with a count and its first and last
    /// observation; the rows whose last observation is before --before are
    /// deleted, in one transaction (it waits for writers; readers are not
    /// blocked). Rows without a time, workloads and the record of ingested
    /// files are kept: re-ingesting a pruned file is still a no-op. Works on
    /// both backends (SQLite file, postgres:// URL).
    Prune(StorePruneArgs),
}

/// The arguments of `kubescribe store prune`.
#[derive(Args)]
pub struct StorePruneArgs {
    /// Delete rows last observed before this time: RFC 3339
    /// (2025-03-01T00:00:00Z), a duration before now (30d, 12h) or ns since
    /// the epoch.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub before: i64,
    /// The store: an SQLite file or a PostgreSQL URL
    /// (`postgres://user@host:port/db`); default $KUBESCRIBE_STORE, else
    /// kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Output format: text or json (the counts deleted per table).
    #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
    pub output: TextFormat,
}

// `kubescribe intent …`.
#[derive(Subcommand)]
pub enum IntentCommand {
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
    ///
    /// The plain-language restatement ("understood as: …") goes to standard
    /// error (in the JSON output: `understoodAs`).
    #[command(after_long_help = INTENT_FORMS)]
    Parse(IntentParseArgs),
}

// `kubescribe dataset …`.
#[derive(Subcommand)]
pub enum DatasetCommand {
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
    Build(DatasetBuildArgs),
}

// `kubescribe schema …`.
#[derive(Subcommand)]
pub enum SchemaCommand {
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

/// Files to read, as kubectl takes them: positional, or `-f/--filename`
/// (files, directories, `-` for standard input), `-R` into subdirectories.
#[derive(Args, Clone, Debug)]
pub struct FileArgs {
    /// Policy files or directories; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A file or directory (its .yaml, .yml and .json files) to read, or
    /// `-` for standard input; repeatable (kubectl's -f).
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR")]
    pub filenames: Vec<PathBuf>,
    /// Read directories given with -f (or as FILE) recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

/// The arguments of `kubescribe validate`.
#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: FileArgs,
    /// A CRD (YAML/JSON) or OpenAPI v3 document to validate against as well; repeatable.
    #[arg(long = "crd", value_name = "CRD.yaml")]
    pub crds: Vec<PathBuf>,
    /// Validate against the --crd schemas only, not the built-in ones.
    #[arg(long, requires = "crds")]
    pub crd_only: bool,
    /// Output format: text, json, junit (JUnit XML, one test case per
    /// document), tap (Test Anything Protocol), name (`kind/name` of each
    /// valid document).
    #[arg(short = 'o', long, value_enum, default_value_t = ValidateOutput::Text)]
    pub output: ValidateOutput,
    /// Print only the totals line (text output).
    #[arg(long)]
    pub summary: bool,
    /// The Kubernetes version the documents are for (`1.20`, `v1.30.2`):
    /// fields of the built-in kinds its API server does not know (and
    /// would drop silently, e.g. a NetworkPolicy `endPort` before 1.22)
    /// are errors. Files are then validated one at a time.
    #[arg(long, value_name = "X.Y")]
    pub kubernetes_version: Option<String>,
    /// Largest accepted input file, in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_file_mib: usize,
    /// An event store (see `kubescribe ingest`) for the layer-2/3 checks.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// The namespace of documents of namespaced kinds that name none
    /// (kubectl's -n); a document naming another one is refused with --live.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Also validate against the live cluster: layer 1 against the CRDs it
    /// holds (their CEL rules evaluated client-side; when the server
    /// dropped them, the rules of the upstream CRD kubescribe bundles, with
    /// a note saying which), layers 2/3 against live pods and Services
    /// (selected pods exist, peers exist, ports are served), then a
    /// server-side dry-run apply of the document as written as the final
    /// check. (Was `--cluster`, which is now kubectl's `--cluster NAME`.)
    #[arg(long)]
    pub live: bool,
    /// Treat warnings (the over-permissive findings of layer 4 among them)
    /// as errors: the document is reported invalid and the exit status is 1.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Files validated at once, each on its own thread (0: one per CPU).
    /// The output is the same, in the files' order. With --store or
    /// --live files are validated one at a time.
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N")]
    pub jobs: usize,
    /// Also check intent fidelity: every policy must implement this
    /// intent, in natural language (see `kubescribe intent parse`): its
    /// scope exactly, each resource with the intent's action, nothing
    /// more, and with --store the intent's verdicts on the store's events
    /// replayed. Gaps are layer-5 errors (exit 1).
    #[arg(long, value_name = "TEXT", conflicts_with = "intent_file")]
    pub intent: Option<String>,
    /// As --intent, from an intent JSON file.
    #[arg(long, value_name = "INTENT.json")]
    pub intent_file: Option<PathBuf>,
    #[command(flatten)]
    pub cluster_args: ClusterArgs,
}

/// The arguments of `kubescribe apply`.
#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub input: FileArgs,
    /// `none` applies; `server`: server-side dry run (validated and admitted,
    /// not stored); `client`: every layer checked, nothing sent to the
    /// server for the apply. Bare `--dry-run` is `client`, as in kubectl;
    /// a value needs `=` (`--dry-run=server`), so a file after it stays a file.
    #[arg(long, value_enum, default_value_t = DryRun::None, value_name = "MODE",
          num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    /// Take over fields another field manager owns.
    #[arg(long)]
    pub force_conflicts: bool,
    /// The field manager to apply as.
    #[arg(long, default_value = kubescribe_kube::FIELD_MANAGER, value_name = "NAME")]
    pub field_manager: String,
    /// Apply without the layer-2/3 checks against live objects (e.g. before the workloads exist).
    #[arg(long)]
    pub skip_resource_checks: bool,
    /// A CRD to validate against in place of the cluster's (repeatable).
    #[arg(long = "crd", value_name = "CRD.yaml")]
    pub crds: Vec<PathBuf>,
    /// The namespace of objects of namespaced kinds that name none
    /// (default: the context's); an object naming another one is refused.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Output format: text (one line per object), json, yaml (the objects
    /// as the server returned them), name (`kind/name`).
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    #[command(flatten)]
    pub cluster_args: ClusterArgs,
}

/// The arguments of `kubescribe diff`.
#[derive(Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: FileArgs,
    /// The namespace of objects of namespaced kinds that name none.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The field manager the dry run applies as.
    #[arg(long, default_value = kubescribe_kube::FIELD_MANAGER, value_name = "NAME")]
    pub field_manager: String,
    /// Take over fields another field manager owns (as `apply --force-conflicts` would).
    #[arg(long)]
    pub force_conflicts: bool,
    #[command(flatten)]
    pub cluster_args: ClusterArgs,
}

/// The arguments of `kubescribe delete`.
#[derive(Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub input: FileArgs,
    /// The namespace of objects of namespaced kinds that name none.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// `server`: the server checks the deletion and deletes nothing;
    /// `client`: only says what would be deleted. Bare `--dry-run` is `client`.
    #[arg(long, value_enum, default_value_t = DryRun::None, value_name = "MODE",
          num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    /// An object that does not exist is no error.
    #[arg(long)]
    pub ignore_not_found: bool,
    /// Output format: text or name (`kind/name`).
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    #[command(flatten)]
    pub cluster_args: ClusterArgs,
}

/// The arguments of `kubescribe cluster`.
#[derive(Args)]
pub struct ClusterInfoArgs {
    /// Only this namespace's pods and Services.
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    #[command(flatten)]
    pub cluster_args: ClusterArgs,
}

/// The arguments of `kubescribe score`.
#[derive(Args)]
pub struct ScoreArgs {
    /// HYP_FILE REF_FILE: one pair, each file one text.
    pub files: Vec<PathBuf>,
    /// JSONL file of pairs.
    #[arg(long, value_name = "PAIRS.jsonl", conflicts_with = "files")]
    pub pairs: Option<PathBuf>,
    /// WordNet 3.0 dict directory (e.g. /usr/share/wordnet from Debian's wordnet-base).
    #[arg(long, value_name = "DIR")]
    pub wordnet: Option<PathBuf>,
}

/// The arguments of `kubescribe ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Event files (JSON lines or pretty JSON) and manifests (YAML/JSON); `-` reads event JSON from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The store: an SQLite file (created if missing) or a PostgreSQL URL
    /// (`postgres://user@host:port/db`; its tables are created by versioned
    /// migrations); default $KUBESCRIBE_STORE, else kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Longest accepted record, in MiB.
    #[arg(long, default_value_t = 4)]
    pub max_record_mib: usize,
    /// How many skipped records to list (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show_errors: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `kubescribe eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Dataset JSONL.
    #[arg(long)]
    pub dataset: PathBuf,
    /// A generator, repeatable: `synth` (the deterministic synthesizer;
    /// prompts carry an intent as JSON), `synth:ENGINE`,
    /// `replay:OUTPUTS.jsonl` or `replay:NAME=OUTPUTS.jsonl` (recorded
    /// {"prompt", "output"} lines), `ort:DIR` (ONNX decoder with a KV
    /// cache; ORT_DYLIB_PATH), `openai:MODEL=URL` (an OpenAI-compatible
    /// server's base URL), `candle:PATH`.
    #[arg(long = "backend", required = true)]
    pub backends: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub prompting: PromptingArgs,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// WordNet 3.0 dict directory for METEOR synonyms.
    #[arg(long, value_name = "DIR")]
    pub wordnet: Option<PathBuf>,
    /// Generate N samples at a time. candle with a Llama-family
    /// safetensors model (Llama, CodeLlama, DeepSeek-Coder, SmolLM2)
    /// decodes them together, one KV cache each, faster (docs/perf.md) and
    /// with the outputs they get one at a time; the other backends (candle
    /// with GGUF, Mistral or Qwen2; ort, openai, synth, replay) run them one
    /// after another. elapsed_ms is then from the start of a sample's batch
    /// to its end.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub batch: u16,
    /// Replace what --out holds from an evaluation with other inputs: another
    /// dataset, other models, or generations made from other prompts,
    /// settings, models or backends (regenerated). Without it such a
    /// directory is refused; one with the same inputs is resumed.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `kubescribe generate`.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["intent", "intent_file"])))]
pub struct GenerateArgs {
    /// The intent in natural language, e.g. "block writes to /etc for
    /// app=nginx in namespace shop" (see `kubescribe intent parse`).
    #[arg(long, value_name = "TEXT")]
    pub intent: Option<String>,
    /// Intent JSON file (`-` for standard input).
    #[arg(long, value_name = "INTENT.json")]
    pub intent_file: Option<PathBuf>,
    /// Target engine (default: the intent's, else by domain: kubearmor
    /// for file/process/syscall/capability, kubernetes for network).
    #[arg(long)]
    pub engine: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = PolicyFormat::Yaml)]
    pub output: PolicyFormat,
    /// Who writes the policy.
    #[arg(long, value_enum, default_value_t = Backend::Synth)]
    pub backend: Backend,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Most generations of the regeneration loop.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_attempts: usize,
    /// Write the loop's trace (attempts, prompts, raw outputs,
    /// diagnostics, timings, tokens) as JSON.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Replace an existing --trace file (refused without it).
    #[arg(long)]
    pub force: bool,
    /// Event store: observed context for the prompt, layer-2 checks,
    /// and the report (each layer's findings, the store's events of the
    /// policy's namespace replayed against it).
    #[arg(long, value_name = "kubescribe.db")]
    pub store: Option<PathBuf>,
    /// Runtime events and manifests (Falco, Tetragon, KubeArmor, Hubble
    /// JSON; Kubernetes YAML/JSON, as `kubescribe ingest` reads them),
    /// ingested into a temporary store used as --store is.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "store")]
    pub events: Vec<PathBuf>,
    /// Only events observed at or after this time (as `context --since`):
    /// the prompt's context, the layer-2 checks and the report's replay
    /// see this window of the store (or of --events) only.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub since: Option<i64>,
    /// Only events observed before this time (as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub until: Option<i64>,
    /// When every attempt fails, print the deterministic synthesizer's
    /// policy instead (reported as a fallback).
    #[arg(long)]
    pub fallback_synth: bool,
    /// When no attempt is both valid and faithful to the intent, print the
    /// last valid policy anyway, marked BEST EFFORT (a comment on its first
    /// line, and the gaps on standard error); the exit status stays 1.
    /// Without it, an unfaithful policy is never printed.
    #[arg(long)]
    pub best_effort: bool,
    /// Treat warnings (the over-permissive findings of layer 4 among
    /// them) as errors: the policy is not printed and the exit status is 1.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub prompting: PromptingArgs,
    /// No progress on standard error (the attempt lines and the decoding
    /// progress with tokens/s).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub apply: GenerateApply,
}

/// The arguments of `kubescribe convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// Policy files; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Target engine: kubernetes, cilium or calico.
    #[arg(long)]
    pub to: String,
    /// Refuse a conversion that would lose anything.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ConvertFormat::Yaml)]
    pub output: ConvertFormat,
    /// Largest accepted input file, in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_file_mib: usize,
}

/// The arguments of `kubescribe context`.
#[derive(Args)]
pub struct ContextArgs {
    /// The store: an SQLite file or a PostgreSQL URL
    /// (`postgres://user@host:port/db`); default $KUBESCRIBE_STORE, else
    /// kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Only events observed at or after this time: RFC 3339
    /// (2025-03-01T00:00:00Z), a duration before now (30m, 12h, 7d) or ns
    /// since the epoch. A stored row (one behaviour, counted) is in the
    /// window when its first-to-last observation overlaps it.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub since: Option<i64>,
    /// Only events observed before this time (as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub until: Option<i64>,
    /// Namespace of the workloads.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Label selector, `k=v[,k=v...]`.
    #[arg(long)]
    pub selector: Option<String>,
    /// Token budget (estimated as characters / 4).
    #[arg(long, default_value_t = 400)]
    pub budget: usize,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `kubescribe simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// Policy files (YAML/JSON, multi-document).
    #[arg(required = true, value_name = "POLICY.yaml")]
    pub policies: Vec<PathBuf>,
    /// The store: an SQLite file or a PostgreSQL URL
    /// (`postgres://user@host:port/db`); default $KUBESCRIBE_STORE, else
    /// kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Only events observed at or after this time: RFC 3339
    /// (2025-03-01T00:00:00Z), a duration before now (30m, 12h, 7d) or ns
    /// since the epoch. A stored row (one behaviour, counted) is in the
    /// window when its first-to-last observation overlaps it.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub since: Option<i64>,
    /// Only events observed before this time (as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub until: Option<i64>,
    /// Only events of pods in this namespace.
    #[arg(long)]
    pub namespace: Option<String>,
    /// KubeArmor's default posture outside an allow-list.
    #[arg(long, value_enum, default_value_t = PostureArg::Block)]
    pub posture: PostureArg,
    /// A namespace's own KubeArmor posture, as its annotations set it
    /// (`kubearmor-file-posture: audit`, ...): `NS=audit` for every
    /// operation kind, or `NS:file=audit`, `NS:network=block`,
    /// `NS:capabilities=audit`. Repeatable; wins over --posture there.
    #[arg(long = "namespace-posture", value_name = "NS[:KIND]=POSTURE")]
    pub namespace_posture: Vec<String>,
    /// Output format: text (totals, per-rule counts, blocked events) or
    /// json (everything, each event with its decision).
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// How many blocked events the text output lists.
    #[arg(long, default_value_t = 50)]
    pub max_listed: usize,
    /// Largest accepted policy file, in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_file_mib: usize,
}

/// The arguments of `kubescribe discover`.
#[derive(Args)]
pub struct DiscoverArgs {
    /// The store (see `kubescribe ingest`): an SQLite file or a PostgreSQL
    /// URL; default $KUBESCRIBE_STORE, else kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Only events observed at or after this time (as `context --since`):
    /// discovery, replay and --holdout see this window only.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub since: Option<i64>,
    /// Only events observed before this time (as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub until: Option<i64>,
    /// Only workloads of this namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Only workloads whose pods carry these labels (`app=web,tier=front`).
    #[arg(short = 'l', long, value_name = "K=V,...")]
    pub selector: Option<String>,
    /// An engine to write policies for (kubearmor, tetragon, cilium,
    /// kubernetes, calico); repeatable. Default: kubearmor and cilium.
    #[arg(long = "engine", value_name = "ENGINE")]
    pub engines: Vec<String>,
    /// A directory with more than N distinct observed entries directly
    /// under it is allowed whole (recursive); 0 keeps every path exact.
    /// discovery-engine's fixed value is 3.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub dir_threshold: usize,
    /// Refine the allow-lists with an intent in words (parsed offline as
    /// `intent parse` does); without pods named it applies to each
    /// discovered workload.
    #[arg(long, value_name = "TEXT")]
    pub intent: Option<String>,
    /// A previous discovery (YAML/JSON policies) to compare with.
    #[arg(long, value_name = "OLD.yaml")]
    pub diff: Option<PathBuf>,
    /// Held-out replay instead of policies: discover on this first fraction
    /// of each workload's recorded window, replay the rest.
    #[arg(long, value_name = "FRACTION")]
    pub holdout: Option<f64>,
    /// The aggregation thresholds --holdout compares (0: exact paths).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0, 1, 2, 3, 5, 10])]
    pub thresholds: Vec<usize>,
    /// Output: yaml (the policies; the report on standard error) or json
    /// (policies, workloads, validation, replay, diff or held-out points).
    #[arg(short = 'o', long, value_enum, default_value_t = PolicyFormat::Yaml)]
    pub output: PolicyFormat,
    /// How many not-allowed events the report lists per engine.
    #[arg(long, default_value_t = 20)]
    pub max_listed: usize,
}

/// The intent forms the offline parser reads (docs/intents.md has them all).
pub const INTENT_FORMS: &str = "\
Intent forms (docs/intents.md):
  who     app=web | app: web | pods labelled app=web | the web pods | pod web-0
          | all pods in namespace shop | ... across the cluster   (+ in namespace shop)
          | tier in (cache) | pods in namespace shop other than app=canary (app != canary)
  action  allow/permit/only .../... and nothing else | block/deny/forbid/must not/
          is forbidden/isolate/default deny | audit/log/alert on/watch
  files   reads of / writes to / access to /etc/passwd, /var/www/ (directories end in /,
          recursive unless 'non-recursive'); only /usr/sbin/nginx may read /etc/nginx/;
          (owner only)
  process execution of /usr/bin/curl, /tmp/
  network ingress/egress, from/to peers (app=web, namespace monitoring, namespaces
          labelled team=ops), CIDRs (10.0.0.0/8 except 10.1.0.0/16), the internet/world,
          the host, the kube-apiserver, api.example.com; ports 443/tcp, 8000-8100,
          TCP and UDP 53, the port named metrics; ICMP; all ingress/egress
  syscall block the ptrace and unshare system calls
  caps    block CAP_SYS_ADMIN; drop all capabilities except NET_BIND_SERVICE (also
          --cap-drop=ALL --cap-add=NET_BIND_SERVICE): an allow-list of NET_BIND_SERVICE
  mixed   allow reads of /var/www/ but block writes to /var/www/uploads/;
          deny all ingress to app=db but allow app=api on 5432 (an allow-list);
          allow all egress except to 169.254.169.254 (a block of it)
  except  deny /vault/ unless it is /bin/vault doing it (only /bin/vault may);
          allow /tmp/ except /tmp/key (a deny part); reachable by nobody other than
          10.0.0.0/8 (an allow-list); an exception that names nothing is refused
  posts   a story around the ask (\"... Allow ingress to app=x (namespace y) on 9090\",
          \"Fix: ...\", \"Expected result: ...\", a PR title with its fix): the other
          sentences are background; asides naming the pods still count; pasted
          configuration (cap_drop: [ALL], cap_add: ...) is read whole; a pasted alert or
          event (Falco line, Tetragon/KubeArmor JSON) or error is background;
          \"What I want: ...\" and \"How do I ...?\" are the ask; so is a comment
          that asks in a pasted manifest (# TODO(security): ...), with the manifest's
          namespace and selector when it names none
  tickets \"Acceptance criteria for the x pods (app=x, namespace y):\" over a list,
          \"**Expected behaviour**\" over a paragraph (to the next blank line): the
          section is the ask; items that check it (\"- ... fails\", \"- ... succeeds\",
          \"- ... get no connection\") or leave things to another story (\"- ... is
          tracked separately\", \"- ... raises no alert\") go; a Gherkin scenario's
          Given/When/Then steps and its Examples rows are the ask; a ticket's
          Summary:/Priority:/Out of scope: fields are background; so are a
          scanner's finding (polaris: ..., kube-bench [WARN] ...) and \"Today ...\" or
          \"Before: ...\" beside \"Change it so ...\" or \"After the change, ...\"
  commits \"feat(netpol): ...\" or \"nginx: ...\", a blank line, a body that says the
          whole ask: the body is read, the subject line sums it up; trailers
          (Signed-off-by:, Refs #754) go; a change request's \"Implementation
          plan:\" steps that ask are the ask; a compliance control or threat-model row
          quoted before the ask is background (\"for the certification audit\" is no
          audit)
  tables  a Markdown table of rules (| Source | Port | Protocol | Action |, | Host |
          Port | Allowed? |, | Path | Access | Who |, | Directory | Writable |,
          | Executable | Allowed |, | Capability | Keep |, TCP/UDP columns): each row
          is read as the rule it states, the sentence around it names the pods; no
          Action column: allowed when the prose says only/exactly/may, else the
          prose's action (refused when it says none);
          an allow-list's no/✗ rows and \"any | any | deny\" go (never one carving
          from an allowed range); Name/Notes/Purpose columns and quoted doc
          sentences beside it are background; an Action cell TBD, a Port cell with
          no number and sources said by a common noun (\"jump hosts\") are refused;
          outer pipes optional (Port | Protocol | From); a Mode column of file
          modes (0600) is background; \"Anything else ... gets dropped\" bounds the rows
  forms   a request form (Workload:, Namespace:, Direction:, Peers:/Sources:/
          Destinations:, Ports:, Executables:, Paths: with Access: and Who:,
          Capabilities:, Action:, Request:, Details:; also *Field:* lines, Field |
          value and tab rows, numbered questions, Q:/A: pairs, ### headings with
          - [x] boxes, JSON parameters, a YAML request's allow: list):
          read as the one sentence its fields say; Requester:/Justification:/
          Expiry: are background; an Action: TBD is refused; a pasted Docker
          Compose service (image:, container_name:, volumes:) is background; a chat
          command's options (/netpol request --namespace ci --ingress --port 80/tcp
          --action allow, or key=value words) are fields; a field left tbd is refused;
          spreadsheet rows (CSV, semicolons, tabs) are a rule table
  pasted  the comments of infrastructure code (Terraform # TODO, Pulumi/cdk8s //,
          a variable's description, an Ansible task's name) are the ask, the code is
          background; a security finding's description and evidence before its
          Recommendation, > quoted lines, an alert's fields (Falco output, custom
          details, Entity:/Tags:/Responders:, \"Triggered · High urgency\") and
          Why/Context sections are background; so are a Kyverno/Gatekeeper policy
          pasted beside a runtime ask and a block shown \"for reference:\"
  handoff a shift handover (Schedule:/Outgoing: headers, \"- fleet: 3 of 11 ...\"
          status items): the item that asks (\"next shift: please log ...\",
          \"Meanwhile audit ...\", \"Apply a default deny ...\") is the ask
  forum   \"Can we make ... only?\", \"How would I ...?\" with an EDIT: line (part of
          the ask); a question pointing at \"that file\" takes the path named just
          before; contract clauses (\"Supplier shall record every inbound
          connection ...; such recording shall not block ...\") ask
  session a pasted terminal session ($ kubectl -n db ... -- ps, netstat, ls -l,
          kubectl get svc -o wide): its commands are no programs of the ask; what the
          ask points at counts (\"the /tmp binaries in that ps\", \"that foreign
          address\", \"the pods behind that service\"), and -n db names the namespace;
          a command quoted inline to look things up (`k -n x get pod`, `docker run
          ...`) names nothing
  rest    X is blocked, everything else is allowed (a block of X); allow X,
          everything else is not allowed / anything else must not reach it / anything
          without that label is kept off (an allow-list of X); \"since the
          default-deny landed\", \"our jobs can't upload anymore\" (history, symptoms)
  bounds  8443 stays open; LDAPS on 636 stays; /srv/data/ stays writable; it keeps writing to /tmp/;
          all other traffic has to keep flowing; incoming traffic stays as it is;
          TCP 11211 stays as it is; nothing else inbound, 9001 included
          (left alone, not added)
  peers   namespaces labelled a=1 or b=2; from the a, b and c namespaces; ... and the
          redis pods themselves, the other members, each other (the pods' own labels);
          same-namespace ingress; from inside the cluster; nothing should be able to
          connect to app=db (all ingress); nothing but our own X (the pods labelled ...)
  fixes   ... on 443. sorry, 6443 not 443 | ... no wait, block them | oh and /bin/sh too
          (the last word counts; \"not sure yet\" is refused)
Refused (exit 1) when something is missing: which pods, which files, which traffic
(\"trusted networks\", \"the office VPN\", \"the intranet\", \"the clients that need
it\", \"from the exam room\", \"reach the CrowdStrike cloud\", \"to infra nodes\",
\"GitHub's webhook IPs\", \"the applications that bind to it\" name none), which port
(service names like postgresql are not ports; \"whatever port it uses\", \"the
private API port\", \"the port LT_PORT sets\", \"the HTTP port set by WEB_PORT\",
\"that admin socket\" give none), which capabilities or traffic (\"the capabilities that
are not required\", \"the egress connections X requires\" list none), which pods
(\"only app=x may connect on 6379\" and \"in namespace x only namespace y may
connect to 2283\" name who connects, not the pods connected to;
\"the render workers in namespace x\" names no labels), what to do.
Examples:
  kubescribe intent parse \"only app=web may connect to app=db on 5432 in namespace shop\"
  kubescribe intent parse \"default deny ingress in namespace shop\"
  kubescribe intent parse \"only /usr/sbin/nginx may read /etc/nginx/ in app=web pods of namespace shop\"";

/// The arguments of `kubescribe intent parse`.
#[derive(Args)]
pub struct IntentParseArgs {
    /// The intent, e.g. "only allow app=web in namespace shop to reach api.example.com on 443/tcp".
    pub text: String,
    /// Resolve pod names to labels through this event store's workloads.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
    pub output: TextFormat,
    /// Parse with a language model on this backend (candle, ort, openai)
    /// instead of the offline parser.
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Model attempts before giving up (with --backend).
    #[arg(long, default_value_t = 3)]
    pub max_attempts: usize,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The arguments of `kubescribe prompt`.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["intent", "intent_file"])))]
pub struct PromptArgs {
    /// The intent in natural language (see `kubescribe intent parse`).
    #[arg(long, value_name = "TEXT")]
    pub intent: Option<String>,
    /// Intent JSON file (`-` for standard input).
    #[arg(long, value_name = "INTENT.json")]
    pub intent_file: Option<PathBuf>,
    /// Target engine (default: the intent's, else by domain).
    #[arg(long)]
    pub engine: Option<String>,
    /// Event store for the workload context (and pod names in --intent): an
    /// SQLite file or a postgres:// URL; default $KUBESCRIBE_STORE.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Only events observed at or after this time: RFC 3339
    /// (2025-03-01T00:00:00Z), a duration before now (30m, 12h, 7d) or ns
    /// since the epoch. A stored row (one behaviour, counted) is in the
    /// window when its first-to-last observation overlaps it.
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub since: Option<i64>,
    /// Only events observed before this time (as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    pub until: Option<i64>,
    /// zero-shot, few-shot, checklist, schema-first or minimal.
    #[arg(long, default_value = "zero-shot", value_parser = parse_template)]
    pub template: kubescribe_synth::prompt::Template,
    /// Token budget of the workload context (estimated as characters / 4).
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub budget: usize,
    /// Format the messages with this model's chat template (a model
    /// directory with tokenizer_config.json, or a GGUF file; ChatML when
    /// it has none).
    #[arg(long, value_name = "MODEL")]
    pub chat: Option<PathBuf>,
    /// json: {engine, kind, template, messages} (with --chat: {chat_template, text}).
    #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
    pub output: TextFormat,
}

/// The arguments of `kubescribe dataset build`.
#[derive(Args)]
pub struct DatasetBuildArgs {
    /// Policy files or directories; repeatable.
    #[arg(long = "policies", required = true, num_args = 1.., value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Event store: workload values for augmentation, context in prompts.
    #[arg(long, value_name = "kubescribe.db")]
    pub store: Option<PathBuf>,
    /// Output directory (created). Files already there of the names it
    /// writes are refused unless --force.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace train.jsonl, test.jsonl, skipped.jsonl and manifest.json in --out.
    #[arg(long)]
    pub force: bool,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Share of seed policies (with their variants) in the test split.
    #[arg(long, default_value_t = 0.2)]
    pub test_share: f64,
    /// Synthesized variants per seed policy.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub augment: usize,
    /// Templates to rotate through (comma-separated; default all five).
    #[arg(long, value_delimiter = ',', value_parser = parse_template)]
    pub templates: Vec<kubescribe_synth::prompt::Template>,
    /// Token budget of the store context in prompts.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub budget: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where the cluster is: as kubectl finds it, with kubectl's flags.
#[derive(Args, Clone, Debug)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubeconfig cluster to use (default: the context's), as in kubectl.
    #[arg(long = "cluster", value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub cluster_name: Option<String>,
    /// The API server's address, in place of the kubeconfig's.
    #[arg(short = 's', long, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token for the API server.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Do not check the server's certificate (insecure).
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// The user to act as (impersonation).
    #[arg(long = "as", value_name = "USER")]
    pub impersonate: Option<String>,
    /// How long to wait for the API server to connect and to answer each
    /// request: `5s`, `1m`, `500ms`, or plain seconds.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
}

/// A duration as kubectl writes one: `5s`, `1m30s`, `500ms`, `2h`, or a
/// plain number of seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration (e.g. 5s, 1m, 500ms, or seconds)");
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(digits);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let factor = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(n * factor);
        rest = next;
    }
    Ok(total)
}

impl ClusterArgs {
    /// Connects (no request yet).
    pub fn connect(&self) -> Result<KubeCluster> {
        let cluster = match self.cluster_name.as_deref() {
            Some("") => anyhow::bail!(
                "--cluster takes a kubeconfig cluster name, as in kubectl (--cluster NAME); to check against the live cluster use --live"
            ),
            Some(name) if std::path::Path::new(name).is_file() => anyhow::bail!(
                "--cluster takes a kubeconfig cluster name, as in kubectl, and `{name}` is a file; to check against the live cluster use --live"
            ),
            other => other.map(str::to_string),
        };
        let opts = ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster,
            server: self.server.clone(),
            token: self.token.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            impersonate: self.impersonate.clone(),
            timeout: self.request_timeout.max(Duration::from_secs(1)),
        };
        Ok(KubeCluster::connect(&opts)?)
    }
}

/// `generate --apply`: where and how to apply a generated policy.
#[derive(Args, Clone, Debug)]
pub struct GenerateApply {
    /// Use the cluster for context: pod names in --intent resolve through
    /// its pods and their Deployments/StatefulSets/DaemonSets, and the
    /// engine defaults to one the cluster runs (network intents: Cilium,
    /// then Calico, then Kubernetes NetworkPolicy; others: KubeArmor, then
    /// Tetragon). (Was `--cluster`, which is now kubectl's `--cluster NAME`.)
    #[arg(long = "live")]
    pub use_cluster: bool,
    /// Apply the generated policy to the cluster (server-side apply, field
    /// manager `kubescribe`) once it passes every layer there: the cluster's
    /// CRD and CEL rules, live pods and ports, the server's admission. The
    /// report goes to standard error.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: `server` only dry-runs it on the server; `client`
    /// checks every layer and sends nothing. A value needs `=`.
    #[arg(long, value_enum, default_value_t = DryRun::None, value_name = "MODE", requires = "apply",
          num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Model settings shared by the model backends.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The model: for `ort` a directory with model.onnx (with past_key_values
    /// inputs) and tokenizer.json; for `candle` a Hugging Face directory or a
    /// GGUF file; for `openai` the server's OpenAI base URL
    /// (e.g. http://127.0.0.1:8000/v1; API key from KUBESCRIBE_OPENAI_API_KEY or OPENAI_API_KEY).
    #[arg(long, value_name = "DIR|URL")]
    pub model: Option<String>,
    /// The model name an OpenAI-compatible server serves.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub model_name: String,
    /// Most new tokens per generation. `generate` raises it for an intent
    /// whose policy is longer (e.g. Cilium "deny ICMP" lists every ICMP
    /// type): to the deterministic synthesizer's policy for the intent, in
    /// the model's tokens, plus a quarter and 64, and says so.
    #[arg(long, default_value_t = 1024)]
    pub max_new_tokens: usize,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads for a local model (0 = the runtime's default, one per core):
    /// ort's intra-op threads; candle's CPU thread pools
    /// (CANDLE_NUM_THREADS and RAYON_NUM_THREADS are set to it).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// candle, GGUF files: requantize weights of another block format
    /// (Q4_1, Q4_0, K-quants) to Q8_0 at load (the default: candle's
    /// fastest CPU kernels), or keep the file's formats.
    #[arg(long, value_name = "q8_0|keep", default_value = "q8_0")]
    pub quantize: String,
    /// openai: where a constrained request carries the JSON Schema besides
    /// `response_format` (json_schema): `llama-cpp` adds llama.cpp's
    /// top-level `json_schema`, `vllm` adds `guided_json`; `json-object`
    /// sends it as `{"type": "json_object", "schema": …}` instead
    /// (llama-cpp-python's server, scripts/models/openai_server.sh); `off`
    /// sends no schema (the server generates freely).
    #[arg(long, value_enum, default_value_t = SchemaFieldArg::ResponseFormat)]
    pub schema_field: SchemaFieldArg,
    /// Where a local model runs: `cpu`, or the CUDA GPU `cuda:N` (`cuda` is
    /// `cuda:0`). candle needs a build with the `cuda` feature
    /// (scripts/gpu/build.sh); ort needs a GPU build of ONNX Runtime
    /// (`onnxruntime-gpu`) in ORT_DYLIB_PATH. A GPU that cannot be used is
    /// an error (exit 2), never a silent fall back to the CPU; the device
    /// in use is printed on standard error and recorded in --trace.
    #[arg(long, value_name = "cpu|cuda[:N]", default_value = "cpu",
          value_parser = parse_device)]
    pub device: Device,
    /// HTTP timeout in seconds (openai).
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// openai: the server's context in tokens, prompt and answer together
    /// (llama.cpp's --ctx-size; scripts/models/openai_server.sh prints it
    /// as KUBESCRIBE_OPENAI_CTX), so prompts are fitted to leave the answer
    /// its room. Without it, a vLLM server's `max_model_len` from /models;
    /// else prompts are sent whole and a prompt too long is the server's error.
    #[arg(long, value_name = "TOKENS")]
    pub context_window: Option<usize>,
    /// Let a local model (candle, ort) decode freely instead of constrained
    /// to the target kind's schema shaped by the intent (the default, in
    /// generate and in eval for samples with an intent), e.g. to compare
    /// the two.
    #[arg(long)]
    pub no_constrain: bool,
}

/// `--schema-field` of the model backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFieldArg {
    /// `response_format` only (OpenAI and servers that follow it).
    ResponseFormat,
    /// Also llama.cpp's `json_schema`.
    LlamaCpp,
    /// Also vLLM's `guided_json`.
    Vllm,
    /// `response_format` as `{"type": "json_object", "schema": …}`
    /// (llama-cpp-python's server).
    JsonObject,
    /// No schema.
    Off,
}

/// How `generate` and `eval` build the model's prompts.
#[derive(Debug, Clone, Args)]
pub struct PromptingArgs {
    /// The prompt template: few-shot (worked examples, then the task),
    /// zero-shot, checklist, schema-first (a skeleton of the kind), minimal
    /// (see `kubescribe prompt`).
    #[arg(long, value_name = "NAME", default_value = "few-shot")]
    pub template: String,
    /// Worked examples in the prompt (fewer when the model's context is
    /// short): the policies of --examples nearest the intent (same engine,
    /// then domain, action, direction, resources), else built-in ones.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub few_shot: usize,
    /// Policies to draw examples from (files or directories, e.g.
    /// ../shared/corpus/policies); those an intent cannot state are left out.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub examples: Vec<PathBuf>,
}

impl PromptingArgs {
    /// The template `--template` names.
    pub fn template(&self) -> anyhow::Result<kubescribe_synth::prompt::Template> {
        self.template
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--template: {e}"))
    }

    /// The policies of `--examples` as an example bank (none when none are
    /// given or no example is shown).
    pub fn bank(
        &self,
        few_shot: usize,
    ) -> anyhow::Result<Option<kubescribe_infer::prompts::ExampleBank>> {
        use anyhow::Context;
        if self.examples.is_empty() || few_shot == 0 {
            return Ok(None);
        }
        let (bank, _) = kubescribe_infer::prompts::ExampleBank::from_dirs(&self.examples)
            .context("reading the --examples policies")?;
        Ok(Some(bank))
    }
}

/// `--device`: clap shows the parse error's reason.
fn parse_device(s: &str) -> Result<Device, String> {
    s.parse()
        .map_err(|e: kubescribe_infer::device::DeviceParseError| e.to_string())
}

impl ModelArgs {
    /// The decoding settings.
    pub fn generation(&self) -> GenerationConfig {
        GenerationConfig {
            max_new_tokens: self.max_new_tokens,
            temperature: self.temperature,
            seed: self.seed,
            ..GenerationConfig::default()
        }
    }
}

/// `-o` of `simulate`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Output {
    /// Human-readable, one line per finding with file:line.
    Text,
    /// One JSON document: a list of per-document reports.
    Json,
}

/// `-o` of `validate`: kubectl's and kubeconform's formats.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateOutput {
    /// Human-readable, one line per finding with file:line.
    Text,
    /// One JSON document: a list of per-document reports.
    Json,
    /// JUnit XML: one test case per document, failures with their findings.
    Junit,
    /// Test Anything Protocol: one test point per document.
    Tap,
    /// `kind/name` of each valid document.
    Name,
}

/// `-o` of `intent parse` and `prompt`.
#[derive(Clone, Copy, ValueEnum)]
pub enum TextFormat {
    Text,
    Json,
}

/// `-o` of `generate`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PolicyFormat {
    /// Canonical YAML.
    Yaml,
    /// JSON: {"policy", "kind", "engine", "diagnostics"}.
    Json,
}

/// `-o` of `convert`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ConvertFormat {
    /// The converted documents as YAML (`---` between them); losses on standard error.
    Yaml,
    /// One JSON list of per-document results: {source, index, line, kind,
    /// name, converted, policies, losses} or {…, converted: false, error, details}.
    Json,
}

/// `simulate --posture`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PostureArg {
    /// Block what the allow-list does not name (KubeArmor's default).
    Block,
    /// Allow and audit it.
    Audit,
}

/// `--dry-run` values, as kubectl spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Apply for real.
    None,
    /// Checked here only (every layer); nothing sent for the change itself.
    Client,
    /// Server-side dry run: validated and admitted by the server, not stored.
    Server,
}

/// Output of `apply`, `delete` and `cluster`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
    /// YAML (apply: the objects as the server returned them).
    Yaml,
    /// `kind/name` per object.
    Name,
}

/// A generator backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The deterministic synthesizer (offline, no model).
    Synth,
    /// A local model on candle (Hugging Face directory or GGUF file).
    Candle,
    /// An ONNX decoder with a KV cache on ONNX Runtime (needs ORT_DYLIB_PATH).
    Ort,
    /// An OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama).
    Openai,
}

/// `--template` values: zero-shot, few-shot, checklist, schema-first, minimal.
fn parse_template(s: &str) -> std::result::Result<kubescribe_synth::prompt::Template, String> {
    s.parse()
}
