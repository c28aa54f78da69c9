//! Validation of a message against a schema derived from the catalog's Rust types,
//! translated into [`Violation`]s with JSON paths.
//!
//! The schemas come from schemars (`#[derive(JsonSchema)]` on the catalog types), so
//! the checker and the types cannot drift apart; `jsonschema` does the walking.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use schemars::Schema;
use serde_json::Value;

use super::violation::{Violation, json_type};

/// A compiled schema.
#[derive(Debug)]
pub(crate) struct CompiledSchema(Validator);

impl CompiledSchema {
    /// Compiles a derived schema, checking `format`s (`uuid`) too.
    pub(crate) fn compile(schema: &Schema) -> Result<Self, ValidationError<'static>> {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema.as_value())
            .map(CompiledSchema)
    }

    /// Every violation of `instance`, with paths prefixed by `prefix` (e.g. `/body`).
    pub(crate) fn violations(&self, instance: &Value, prefix: &str) -> Vec<Violation> {
        let mut violations = Vec::new();
        for error in self.0.iter_errors(instance) {
            translate(&error, prefix, &mut violations);
        }
        violations
    }
}

/// Turns one validation error into violations (one per unexpected property).
fn translate(error: &ValidationError<'_>, prefix: &str, out: &mut Vec<Violation>) {
    let raw_path = format!("{prefix}{}", error.instance_path().as_str());
    let path = join(prefix, error.instance_path().as_str());
    let instance = error.instance();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let property = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            out.push(Violation::MissingField {
                path: format!("{raw_path}/{}", escape(&property)),
            });
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            out.extend(unexpected.iter().map(|name| Violation::UnexpectedField {
                path: format!("{raw_path}/{}", escape(name)),
            }));
        }
        ValidationErrorKind::Type { kind } => out.push(Violation::WrongType {
            path,
            expected: describe_types(kind),
            found: json_type(instance).to_owned(),
        }),
        ValidationErrorKind::Enum { options } => out.push(Violation::InvalidValue {
            path,
            reason: format!("{instance} is not one of {}", list_options(options)),
        }),
        ValidationErrorKind::Constant { expected_value } => out.push(Violation::InvalidValue {
            path,
            reason: format!("{instance} is not {expected_value}"),
        }),
        ValidationErrorKind::Format { format } => out.push(Violation::InvalidValue {
            path,
            reason: format!("{instance} is not a valid {format}"),
        }),
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            out.push(Violation::InvalidValue {
                path,
                reason: format!("{instance} is below the minimum {limit}"),
            });
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            out.push(Violation::InvalidValue {
                path,
                reason: format!("{instance} is above the maximum {limit}"),
            });
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            translate_alternatives(context, instance, &path, prefix, out);
        }
        _ => out.push(Violation::InvalidValue {
            path,
            reason: error.to_string(),
        }),
    }
}

/// `anyOf`/`oneOf` (nullable structs, untagged enums): when exactly one alternative
/// accepts the instance's JSON type, its errors are the useful ones; otherwise the
/// instance has none of the accepted types.
fn translate_alternatives(
    context: &[Vec<ValidationError<'static>>],
    instance: &Value,
    path: &str,
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    let is_type_mismatch = |errors: &Vec<ValidationError<'static>>| {
        errors.iter().any(|error| {
            matches!(error.kind(), ValidationErrorKind::Type { .. })
                && join(prefix, error.instance_path().as_str()) == path
        })
    };
    let matching_type: Vec<_> = context
        .iter()
        .filter(|errors| !is_type_mismatch(errors))
        .collect();
    if let [errors] = matching_type.as_slice() {
        for error in errors.iter() {
            translate(error, prefix, out);
        }
        return;
    }
    // Enums whose variants carry doc comments: one `const` per alternative.
    let constants: Vec<String> = matching_type
        .iter()
        .flat_map(|errors| errors.iter())
        .filter_map(|error| match error.kind() {
            ValidationErrorKind::Constant { expected_value } => Some(expected_value.to_string()),
            _ => None,
        })
        .collect();
    if !constants.is_empty() && constants.len() == matching_type.len() {
        out.push(Violation::InvalidValue {
            path: path.to_owned(),
            reason: format!("{instance} is not one of {}", constants.join(", ")),
        });
        return;
    }
    let mut expected: Vec<String> = context
        .iter()
        .flatten()
        .filter_map(|error| match error.kind() {
            ValidationErrorKind::Type { kind }
                if join(prefix, error.instance_path().as_str()) == path =>
            {
                Some(describe_types(kind))
            }
            _ => None,
        })
        .collect();
    expected.dedup();
    if expected.is_empty() {
        out.push(Violation::InvalidValue {
            path: path.to_owned(),
            reason: format!("{instance} matches none of the allowed shapes"),
        });
    } else {
        out.push(Violation::WrongType {
            path: path.to_owned(),
            expected: expected.join(" or "),
            found: json_type(instance).to_owned(),
        });
    }
}

fn describe_types(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(kind) => describe_type(*kind).to_owned(),
        TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(describe_type)
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn describe_type(kind: JsonType) -> &'static str {
    match kind {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

fn list_options(options: &Value) -> String {
    match options {
        Value::Array(values) => values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Joins a prefix pointer and a pointer; the empty pointer is the root, shown as `/`.
pub(crate) fn join(prefix: &str, pointer: &str) -> String {
    let joined = format!("{prefix}{pointer}");
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

/// Escapes a property name for a JSON pointer (RFC 6901).
pub(crate) fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
