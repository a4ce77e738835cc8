//! Chat formatting with a model's own chat template.
//!
//! Hugging Face models ship a Jinja chat template in `tokenizer_config.json`
//! (`chat_template`, a string or a list of named templates); GGUF files carry
//! it as the metadata key `tokenizer.chat_template`. [`ChatTemplate`] renders
//! messages with `minijinja` plus its Python-compatibility methods
//! (`.strip()`, `.startswith()`, …), `raise_exception` and `strftime_now`, as
//! transformers does. Models without one get ChatML.

use std::path::{Path, PathBuf};

use minijinja::{Environment, Error, ErrorKind, Value, context};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::PromptError;
use super::gguf;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with `role` and `content`.
    pub fn new(role: &str, content: &str) -> Self {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// The ChatML template (Qwen, SmolLM, many others), the default.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    origin: String,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// Compiles a Jinja chat template; `origin` names where it came from in errors.
    pub fn new(
        source: &str,
        origin: &str,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, PromptError> {
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.add_function("raise_exception", |msg: String| -> Result<Value, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, msg))
        });
        env.add_function("strftime_now", |fmt: String| -> String {
            strftime_now(&fmt)
        });
        env.add_template_owned("chat", source.to_string())
            .map_err(|e| PromptError::ChatTemplate {
                origin: origin.into(),
                message: format!("{e:#}"),
            })?;
        Ok(ChatTemplate {
            env,
            origin: origin.into(),
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        })
    }

    /// ChatML.
    pub fn chatml() -> Self {
        // The constant compiles (tested); fall back to an empty environment never happens.
        ChatTemplate::new(CHATML, "ChatML (built-in)", "", "<|im_end|>").unwrap_or_else(|_| {
            ChatTemplate {
                env: Environment::new(),
                origin: "ChatML (built-in)".into(),
                bos_token: String::new(),
                eos_token: String::new(),
            }
        })
    }

    /// Where the template came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The chat template a model directory provides: `tokenizer_config.json`'s
    /// `chat_template` (or a `chat_template.jinja` / `chat_template.json`
    /// beside it), else the `tokenizer.chat_template` of a `.gguf` file in it
    /// (or the file itself when `path` is a GGUF file). `None` when it has none.
    pub fn from_model_path(path: &Path) -> Result<Option<Self>, PromptError> {
        if path.is_file() {
            return if path.extension().is_some_and(|e| e == "gguf") {
                Self::from_gguf(path)
            } else {
                Err(PromptError::ModelFile {
                    path: path.display().to_string(),
                    message: "expected a model directory or a .gguf file".into(),
                })
            };
        }
        let config = read_json(&path.join("tokenizer_config.json"))?;
        let token = |key: &str| -> String {
            match config.as_ref().and_then(|c| c.get(key)) {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Object(o)) => o
                    .get("content")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            }
        };
        let (bos, eos) = (token("bos_token"), token("eos_token"));
        let cfg_path = path.join("tokenizer_config.json");
        if let Some(t) = config.as_ref().and_then(|c| c.get("chat_template")) {
            let source = template_source(t).ok_or_else(|| PromptError::ModelFile {
                path: cfg_path.display().to_string(),
                message: "`chat_template` must be a string or a list of {name, template}".into(),
            })?;
            return Self::new(&source, &cfg_path.display().to_string(), &bos, &eos).map(Some);
        }
        let jinja = path.join("chat_template.jinja");
        if jinja.is_file() {
            let source = std::fs::read_to_string(&jinja).map_err(|e| io_err(&jinja, e))?;
            return Self::new(&source, &jinja.display().to_string(), &bos, &eos).map(Some);
        }
        let json = path.join("chat_template.json");
        if let Some(v) = read_json(&json)?
            && let Some(source) = v.get("chat_template").and_then(template_source)
        {
            return Self::new(&source, &json.display().to_string(), &bos, &eos).map(Some);
        }
        let mut ggufs: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| io_err(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "gguf"))
            .collect();
        ggufs.sort();
        for g in ggufs {
            if let Some(t) = Self::from_gguf(&g)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// The model's chat template, or ChatML when it has none.
    pub fn for_model_or_chatml(path: &Path) -> Result<Self, PromptError> {
        Ok(Self::from_model_path(path)?.unwrap_or_else(Self::chatml))
    }

    fn from_gguf(path: &Path) -> Result<Option<Self>, PromptError> {
        let source = gguf::read_string(path, "tokenizer.chat_template").map_err(|message| {
            PromptError::ModelFile {
                path: path.display().to_string(),
                message,
            }
        })?;
        match source {
            Some(source) => Self::new(&source, &path.display().to_string(), "", "").map(Some),
            None => Ok(None),
        }
    }

    /// Renders `messages`; with `add_generation_prompt` the text ends where
    /// the assistant's answer starts. A template that rejects the `system`
    /// role (some do, with `raise_exception`) gets the system text prepended
    /// to the first user message instead.
    pub fn render(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<String, PromptError> {
        match self.render_raw(messages, add_generation_prompt) {
            Ok(s) => Ok(s),
            Err(first) if messages.iter().any(|m| m.role == "system") => {
                let merged = merge_system(messages);
                self.render_raw(&merged, add_generation_prompt)
                    .map_err(|_| first)
            }
            Err(e) => Err(e),
        }
    }

    fn render_raw(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<String, PromptError> {
        let tmpl = self.env.get_template("chat").map_err(|e| self.error(e))?;
        tmpl.render(context! {
            messages => Value::from(minijinja::value::Serde(messages)),
            add_generation_prompt => add_generation_prompt,
            bos_token => &self.bos_token,
            eos_token => &self.eos_token,
        })
        .map_err(|e| self.error(e))
    }

    fn error(&self, e: Error) -> PromptError {
        PromptError::ChatTemplate {
            origin: self.origin.clone(),
            message: format!("{e:#}"),
        }
    }
}

fn merge_system(messages: &[Message]) -> Vec<Message> {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == "system")
        .map(|m| m.content.as_str())
        .collect();
    let mut out: Vec<Message> = messages
        .iter()
        .filter(|m| m.role != "system")
        .cloned()
        .collect();
    match out.iter_mut().find(|m| m.role == "user") {
        Some(first) => first.content = format!("{}\n\n{}", system.join("\n\n"), first.content),
        None => out.insert(0, Message::new("user", &system.join("\n\n"))),
    }
    out
}

fn template_source(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Array(list) => {
            let named = |name: &str| {
                list.iter().find_map(|t| {
                    (t.get("name")?.as_str()? == name)
                        .then(|| t.get("template")?.as_str().map(str::to_string))
                        .flatten()
                })
            };
            named("default").or_else(|| {
                list.first()
                    .and_then(|t| t.get("template")?.as_str().map(str::to_string))
            })
        }
        _ => None,
    }
}

fn io_err(path: &Path, e: std::io::Error) -> PromptError {
    PromptError::ModelFile {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn read_json(path: &Path) -> Result<Option<Json>, PromptError> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| PromptError::ModelFile {
            path: path.display().to_string(),
            message: format!("not valid JSON: {e}"),
        })
}

/// `strftime` for today's date (UTC), the subset chat templates use:
/// `%d %m %Y %y %b %B %A %a %j %%`.
fn strftime_now(fmt: &str) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    strftime_days(fmt, secs.div_euclid(86_400))
}

fn strftime_days(fmt: &str, days: i64) -> String {
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    let month = MONTHS[(m - 1) as usize];
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][(m - 1) as usize];
    let yday = cum + d + i64::from(leap && m > 2);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('Y') => out.push_str(&y.to_string()),
            Some('y') => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            Some('b') => out.push_str(&month[..3]),
            Some('B') => out.push_str(month),
            Some('a') => out.push_str(&weekday[..3]),
            Some('A') => out.push_str(weekday),
            Some('j') => out.push_str(&format!("{yday:03}")),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(strftime_days("%d %b %Y", 0), "01 Jan 1970");
        assert_eq!(
            strftime_days("%Y-%m-%d %A %j", 19_782),
            "2024-02-29 Thursday 060"
        );
        assert_eq!(strftime_days("%B %y %%", 20_454), "January 26 %");
    }
}
