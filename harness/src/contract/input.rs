//! Reading messages to check: JSON Lines, one JSON document, or one JSON array.

use serde_json::Value;

/// A message read from an input, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct InputMessage {
    pub line: usize,
    pub message: Value,
}

/// Why an input could not be read as JSON.
#[derive(Debug, thiserror::Error)]
#[error("line {line}, column {column}: {source}")]
pub struct InputError {
    pub line: usize,
    pub column: usize,
    #[source]
    pub source: serde_json::Error,
}

/// Parses `text` as a sequence of JSON values (one per line, or spread over many
/// lines); a lone top-level array is taken as the list of messages.
pub fn parse_messages(text: &str) -> Result<Vec<InputMessage>, InputError> {
    let mut messages = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    // Lines are counted incrementally: counting from the start for every message
    // would make large recordings quadratic.
    let (mut counted_to, mut line) = (0, 1);
    loop {
        let start = skip_whitespace(text, stream.byte_offset());
        match stream.next() {
            None => break,
            Some(Ok(message)) => {
                line += newlines(&text[counted_to..start]);
                counted_to = start;
                messages.push(InputMessage { line, message });
            }
            Some(Err(source)) => {
                return Err(InputError {
                    line: source.line(),
                    column: source.column(),
                    source,
                });
            }
        }
    }
    if let [
        InputMessage {
            line,
            message: Value::Array(items),
        },
    ] = messages.as_mut_slice()
    {
        let line = *line;
        return Ok(std::mem::take(items)
            .into_iter()
            .map(|message| InputMessage { line, message })
            .collect());
    }
    Ok(messages)
}

fn skip_whitespace(text: &str, offset: usize) -> usize {
    offset + text[offset..].len() - text[offset..].trim_start().len()
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|byte| *byte == b'\n').count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_lines_keep_their_line_numbers() {
        let messages = parse_messages("{\"a\": 1}\n\n{\"b\": 2}\n").unwrap();
        assert_eq!(
            messages,
            vec![
                InputMessage {
                    line: 1,
                    message: json!({"a": 1})
                },
                InputMessage {
                    line: 3,
                    message: json!({"b": 2})
                },
            ]
        );
    }

    #[test]
    fn a_pretty_document_is_one_message() {
        let messages = parse_messages("{\n  \"a\": 1\n}\n").unwrap();
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn an_array_is_a_list_of_messages() {
        let messages = parse_messages("[{\"a\": 1}, {\"b\": 2}]").unwrap();
        assert_eq!(messages.len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse_messages("{\"a\": 1}\n{\"b\": }\n").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
