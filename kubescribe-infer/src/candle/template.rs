//! Chat templates: the families recognized in `tokenizer_config.json` /
//! GGUF metadata, rendered directly (no Jinja engine).

use crate::generator::{ChatMessage, Prompt};

/// The chat template families recognized in `tokenizer_config.json` / GGUF
/// metadata (no Jinja engine: the known shapes are rendered directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `<|im_start|>role\n…<|im_end|>` (SmolLM2, Qwen2).
    ChatMl,
    /// Llama-3 headers.
    Llama3,
    /// `[INST] … [/INST]` (Llama-2, CodeLlama, Mistral).
    Inst,
    /// DeepSeek-Coder's `### Instruction:` / `### Response:`.
    DeepSeek,
    /// No template: `role: content` lines.
    Plain,
}

impl ChatTemplate {
    /// Recognizes a Jinja chat template by its markers.
    pub fn detect(template: &str) -> ChatTemplate {
        if template.contains("<|im_start|>") {
            ChatTemplate::ChatMl
        } else if template.contains("<|start_header_id|>") {
            ChatTemplate::Llama3
        } else if template.contains("### Instruction") {
            ChatTemplate::DeepSeek
        } else if template.contains("[INST]") {
            ChatTemplate::Inst
        } else {
            ChatTemplate::Plain
        }
    }

    /// Renders messages with the assistant turn opened.
    pub fn render(self, msgs: &[ChatMessage]) -> String {
        let mut s = String::new();
        match self {
            ChatTemplate::ChatMl => {
                for m in msgs {
                    s.push_str(&format!(
                        "<|im_start|>{}\n{}<|im_end|>\n",
                        m.role, m.content
                    ));
                }
                s.push_str("<|im_start|>assistant\n");
            }
            ChatTemplate::Llama3 => {
                s.push_str("<|begin_of_text|>");
                for m in msgs {
                    s.push_str(&format!(
                        "<|start_header_id|>{}<|end_header_id|>\n\n{}<|eot_id|>",
                        m.role, m.content
                    ));
                }
                s.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            ChatTemplate::Inst => {
                let system: Vec<&str> = msgs
                    .iter()
                    .filter(|m| m.role == "system")
                    .map(|m| m.content.as_str())
                    .collect();
                let mut first = true;
                for m in msgs.iter().filter(|m| m.role != "system") {
                    if m.role == "user" {
                        let sys = if first && !system.is_empty() {
                            format!("<<SYS>>\n{}\n<</SYS>>\n\n", system.join("\n"))
                        } else {
                            String::new()
                        };
                        s.push_str(&format!("[INST] {sys}{} [/INST]", m.content));
                        first = false;
                    } else {
                        s.push_str(&format!(" {} ", m.content));
                    }
                }
            }
            ChatTemplate::DeepSeek => {
                for m in msgs {
                    match m.role.as_str() {
                        "user" => s.push_str(&format!("### Instruction:\n{}\n", m.content)),
                        "assistant" => s.push_str(&format!("### Response:\n{}\n", m.content)),
                        _ => s.push_str(&format!("{}\n", m.content)),
                    }
                }
                s.push_str("### Response:\n");
            }
            ChatTemplate::Plain => {
                s = Prompt::Chat(msgs.to_vec()).as_text();
                s.push_str("\nassistant: ");
            }
        }
        s
    }
}
