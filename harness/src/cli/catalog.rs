//! `switchboard catalog`: print the documented events, their schemas and the errata.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::format::OutputFormat;
use super::profile_args::ProfileArg;
use crate::catalog::fields::{FieldDoc, fields};
use crate::catalog::phonecom::{self, DataTypeEntry};
use crate::catalog::wazo::current::Audience;
use crate::catalog::wazo::differences::{self, Difference};
use crate::catalog::wazo::{self, EventEntry, Lookup};
use crate::catalog::wazo::{Profile, Wording};
use crate::catalog::{Erratum, errata};
use crate::sink::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

const LIST_HELP: &str = "Which wording: documented (the message bus document) or wazo (current Wazo 26.08, wazo-bus 4c47e71c: its names, routing keys and ACLs)";

/// Print the catalog of documented events, their JSON Schemas and the errata.
///
/// Every Wazo bus event (routing key and required ACL templates, fields,
/// documented example) and every Phone.com v2 data type.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub command: CatalogCommand,
}

/// What to print.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List every event with its routing key and required ACL templates.
    List {
        #[arg(long, value_enum, default_value_t = ProfileArg::Documented, help = LIST_HELP)]
        profile: ProfileArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Show one event (or Phone.com data type): description, templates, fields, example.
    Show {
        /// An event name (`call_created`), an AMI event name (`QueueMemberStatus`)
        /// or a Phone.com data type (`call`, `message`, `call-log`, `recording`, `api-error`).
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Print the JSON Schema of an event's whole message (derived from the Rust types).
    Schema {
        /// An event name or a Phone.com data type, as for `show`.
        name: String,
        /// The body as the document (`documented`) or current Wazo (`wazo`) writes it.
        #[arg(long, value_enum, default_value_t = ProfileArg::Documented)]
        profile: ProfileArg,
        /// Print the schema of `data` only, not of the whole envelope.
        #[arg(long)]
        data_only: bool,
    },
    /// List where the documents contradict themselves and what switchboard
    /// does, then where the Wazo document and current Wazo part ways.
    Errata {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

pub async fn run(args: CatalogArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let written = match args.command {
        CatalogCommand::List { profile, format } => list(&mut out, profile.into(), format),
        CatalogCommand::Show { name, format } => show(&mut out, &find(&name)?, format),
        CatalogCommand::Schema {
            name,
            profile,
            data_only,
        } => schema(&mut out, &find(&name)?, profile.into(), data_only),
        CatalogCommand::Errata { format } => print_errata(&mut out, format),
    };
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to standard output")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// What a name given on the command line designates.
enum Item {
    Wazo(&'static EventEntry),
    Phonecom(&'static DataTypeEntry),
}

fn find(name: &str) -> anyhow::Result<Item> {
    if let Some(entry) = phonecom::data_type(name) {
        return Ok(Item::Phonecom(entry));
    }
    match wazo::lookup(name) {
        Lookup::Documented(entry) | Lookup::Ami(entry) | Lookup::RemovedFromWazo(entry) => {
            Ok(Item::Wazo(entry))
        }
        Lookup::Removed(removed) => bail!(
            "`{name}` was removed in Wazo {}; it is no longer in the catalog",
            removed.removed_in
        ),
        Lookup::Unknown => match wazo::lookup_in(Profile::Wazo, name) {
            // Current Wazo's name of a documented event (`auth_tenant_added`).
            Lookup::Documented(entry) => Ok(Item::Wazo(entry)),
            _ => bail!(
                "`{name}` is not in the catalog; `switchboard catalog list` shows every event"
            ),
        },
    }
}

#[derive(Serialize)]
struct ListRow {
    dialect: &'static str,
    name: &'static str,
    family: &'static str,
    routing_key: Option<&'static str>,
    required_acl: Option<&'static str>,
}

fn list_rows(profile: Profile) -> Vec<ListRow> {
    let wazo_rows = std::iter::once(wazo::ami::entry())
        .chain(wazo::all_entries())
        .filter_map(|entry| {
            let wording = Wording::of(entry.spec, profile)?;
            Some(ListRow {
                dialect: "wazo",
                name: wording.name,
                family: entry.spec.family.as_str(),
                routing_key: Some(wording.routing_key.as_str()),
                required_acl: wording.required_acl.map(|acl| acl.as_str()),
            })
        });
    let phonecom_rows = phonecom::data_types().iter().map(|entry| ListRow {
        dialect: "phonecom",
        name: entry.data_type.as_str(),
        family: "data_type",
        routing_key: None,
        required_acl: None,
    });
    wazo_rows.chain(phonecom_rows).collect()
}

fn list(out: &mut impl Write, profile: Profile, format: OutputFormat) -> std::io::Result<()> {
    let rows = list_rows(profile);
    if format == OutputFormat::Json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    let width = rows.iter().map(|row| row.name.len()).max().unwrap_or(0);
    let key_width = rows
        .iter()
        .filter_map(|row| row.routing_key.map(str::len))
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "{:<8}  {:<width$}  {:<key_width$}  REQUIRED ACL",
        "DIALECT", "NAME", "ROUTING KEY"
    )?;
    for row in &rows {
        writeln!(
            out,
            "{:<8}  {:<width$}  {:<key_width$}  {}",
            row.dialect,
            row.name,
            row.routing_key.unwrap_or("-"),
            row.required_acl.unwrap_or("-")
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Shown {
    dialect: &'static str,
    name: &'static str,
    description: &'static str,
    routing_key: Option<&'static str>,
    required_acl: Option<&'static str>,
    headers: Vec<String>,
    rust_type: &'static str,
    fields: Vec<FieldDoc>,
    example: Option<Value>,
    errata: Vec<&'static str>,
    /// How current Wazo words the event, when it publishes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_wazo: Option<CurrentShown>,
    /// Where the document and current Wazo part ways for this event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    differences: Vec<Difference>,
}

/// The `wazo` profile's side of `catalog show`.
#[derive(Serialize)]
struct CurrentShown {
    name: &'static str,
    routing_key: &'static str,
    required_acl: &'static str,
    audience: Audience,
    exchange: &'static str,
    headers: Vec<String>,
    source: &'static str,
}

fn current_shown(entry: &EventEntry) -> Option<CurrentShown> {
    let wording = Wording::of(entry.spec, Profile::Wazo)?;
    let row = wording.current?;
    let mut headers =
        vec!["name, origin_uuid, timestamp, required_access, required_acl".to_owned()];
    match row.audience {
        Audience::Service => {}
        Audience::Tenant => headers.push("tenant_uuid, user_uuid:* = true".to_owned()),
        Audience::User => headers.push("tenant_uuid, user_uuid:<uuid> = true".to_owned()),
        Audience::MultiUser => {
            headers.push("tenant_uuid, user_uuid:<uuid> = true for each user".to_owned());
        }
    }
    headers.extend(row.attributes.iter().map(|attribute| {
        format!(
            "{} ({:?}) from {}",
            attribute.header, attribute.kind, attribute.value
        )
    }));
    Some(CurrentShown {
        name: wording.name,
        routing_key: wording.routing_key.as_str(),
        required_acl: row.required_acl.as_str(),
        audience: row.audience,
        exchange: if wording.on_topic {
            WAZO_EXCHANGE
        } else {
            WAZO_HEADERS_EXCHANGE
        },
        headers,
        source: row.source,
    })
}

fn shown(item: &Item) -> Shown {
    let example =
        |text: Option<&'static str>| text.and_then(|text| serde_json::from_str(text).ok());
    match item {
        Item::Wazo(entry) => Shown {
            dialect: "wazo",
            name: entry.name(),
            description: entry.spec.description,
            routing_key: Some(entry.spec.routing_key.as_str()),
            required_acl: entry.spec.required_acl.map(|acl| acl.as_str()),
            headers: entry
                .spec
                .headers
                .iter()
                .map(|header| format!("{header}: true"))
                .collect(),
            rust_type: entry.data_type,
            fields: fields(entry.data_schema().as_value()),
            example: example(entry.spec.example),
            errata: errata_of(entry.name()),
            current_wazo: current_shown(entry),
            differences: differences::of_event(entry.spec),
        },
        Item::Phonecom(entry) => Shown {
            dialect: "phonecom",
            name: entry.data_type.as_str(),
            description: entry.description,
            routing_key: None,
            required_acl: None,
            headers: Vec::new(),
            rust_type: entry.rust_type,
            fields: fields(entry.data_schema().as_value()),
            example: example(entry.example),
            errata: errata_of(entry.data_type.as_str()),
            current_wazo: None,
            differences: Vec::new(),
        },
    }
}

fn errata_of(name: &str) -> Vec<&'static str> {
    errata()
        .iter()
        .filter(|erratum| erratum.events.contains(&name))
        .map(|erratum| erratum.id)
        .collect()
}

fn show(out: &mut impl Write, item: &Item, format: OutputFormat) -> std::io::Result<()> {
    let shown = shown(item);
    if format == OutputFormat::Json {
        serde_json::to_writer_pretty(&mut *out, &shown)?;
        return writeln!(out);
    }
    writeln!(out, "{} ({})", shown.name, shown.dialect)?;
    writeln!(out, "  {}", shown.description)?;
    if let Some(key) = shown.routing_key {
        writeln!(out, "  routing key:  {key}")?;
    }
    if let Some(acl) = shown.required_acl {
        writeln!(out, "  required ACL: {acl}")?;
    }
    for header in &shown.headers {
        writeln!(out, "  header:       {header}")?;
    }
    writeln!(out, "  data type:    {}", shown.rust_type)?;
    writeln!(out, "\nfields of data:")?;
    let width = shown
        .fields
        .iter()
        .map(|field| field.path.len())
        .max()
        .unwrap_or(0);
    for field in &shown.fields {
        let required = if field.required {
            "required"
        } else {
            "optional"
        };
        writeln!(
            out,
            "  {:<width$}  {}  {}  {}",
            field.path, required, field.type_name, field.description
        )?;
    }
    match &shown.example {
        Some(example) => {
            writeln!(out, "\ndocumented example:")?;
            serde_json::to_writer_pretty(&mut *out, example)?;
            writeln!(out)?;
        }
        None => writeln!(out, "\nno example of its own in the documentation")?,
    }
    if !shown.errata.is_empty() {
        writeln!(
            out,
            "\nerrata: {} (see `switchboard catalog errata`)",
            shown.errata.join(", ")
        )?;
    }
    if let Some(current) = &shown.current_wazo {
        writeln!(
            out,
            "\ncurrent Wazo ({}, `--profile wazo`):",
            Profile::Wazo.authority()
        )?;
        writeln!(out, "  name:         {}", current.name)?;
        writeln!(out, "  exchange:     {}", current.exchange)?;
        writeln!(out, "  routing key:  {}", current.routing_key)?;
        writeln!(out, "  required ACL: {}", current.required_acl)?;
        for header in &current.headers {
            writeln!(out, "  headers:      {header}")?;
        }
        writeln!(out, "  read from:    {}", current.source)?;
    }
    if !shown.differences.is_empty() {
        writeln!(out, "\ndocument vs current Wazo:")?;
        write_differences(out, &shown.differences)?;
    }
    Ok(())
}

fn write_differences(out: &mut impl Write, differences: &[Difference]) -> std::io::Result<()> {
    for difference in differences {
        writeln!(
            out,
            "  {} {}: the document says {}; current Wazo: {}",
            difference.event, difference.what, difference.document, difference.current
        )?;
    }
    Ok(())
}

fn schema(
    out: &mut impl Write,
    item: &Item,
    profile: Profile,
    data_only: bool,
) -> std::io::Result<()> {
    let schema = match (item, data_only) {
        (Item::Wazo(entry), false) => match Wording::of(entry.spec, profile) {
            Some(wording) => crate::contract::body_schema(entry, &wording),
            None => {
                return writeln!(out, "null");
            }
        },
        (Item::Wazo(entry), true) => entry.data_schema().to_value(),
        (Item::Phonecom(entry), false) => entry.envelope_schema().to_value(),
        (Item::Phonecom(entry), true) => entry.data_schema().to_value(),
    };
    serde_json::to_writer_pretty(&mut *out, &schema)?;
    writeln!(out)
}

fn print_errata(out: &mut impl Write, format: OutputFormat) -> std::io::Result<()> {
    let all: &[Erratum] = errata();
    let current = differences::differences();
    if format == OutputFormat::Json {
        // One array, each object tagged with its section, so that a reader
        // of the errata alone can keep reading them by `id`.
        let tagged = |section: &str, value: Value| match value {
            Value::Object(mut object) => {
                object.insert("section".into(), Value::String(section.to_owned()));
                Value::Object(object)
            }
            other => other,
        };
        let rows: Vec<Value> = all
            .iter()
            .filter_map(|erratum| serde_json::to_value(erratum).ok())
            .map(|value| tagged("errata", value))
            .chain(
                current
                    .iter()
                    .filter_map(|difference| serde_json::to_value(difference).ok())
                    .map(|value| tagged("document_vs_current_wazo", value)),
            )
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    for erratum in all {
        writeln!(
            out,
            "{} ({:?}: {})",
            erratum.id,
            erratum.document,
            erratum.events.join(", ")
        )?;
        writeln!(out, "  the document says: {}", erratum.document_says)?;
        writeln!(out, "  switchboard:       {}", erratum.we_do)?;
        writeln!(out, "  because:           {}\n", erratum.why)?;
    }
    writeln!(
        out,
        "document vs current Wazo ({}; `--profile wazo` reproduces the right-hand side)",
        Profile::Wazo.authority()
    )?;
    write_differences(out, &current)
}
