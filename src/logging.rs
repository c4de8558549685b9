//! Logs as Lambda's log-level filtering reads them.
//!
//! With JSON logs and an application log level, Lambda keeps a line only if its `level` is at or
//! above that level, and reads a line without a valid `level` (or without a valid RFC 3339
//! `timestamp`) as INFO. So every line carries both, and the metrics line is stamped at a level
//! the configured filter keeps: the dashboard never goes empty at WARN or ERROR.
//!
//! TRACE is never logged: `lambda_runtime` logs the raw event at TRACE, result token included.

use lambda_runtime::tracing::subscriber::filter::LevelFilter;

/// Lambda's application log levels, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    pub const ALL: [LogLevel; 6] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// Lambda's spelling, in any case (`AWS_LAMBDA_LOG_LEVEL`, a line's `level`).
    pub fn parse(text: &str) -> Option<Self> {
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }

    /// The level the function runs at: `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's logging config),
    /// else `RUST_LOG` when it is a plain level, else INFO.
    pub fn from_variables(env: impl Fn(&str) -> Option<String>) -> Self {
        ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
            .iter()
            .find_map(|name| env(name).and_then(|v| LogLevel::parse(&v)))
            .unwrap_or(LogLevel::Info)
    }

    /// What the function's own logs are filtered at: never TRACE (it would log the raw event).
    pub fn tracing_filter(self) -> LevelFilter {
        match self {
            LogLevel::Trace | LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Error | LogLevel::Fatal => LevelFilter::ERROR,
        }
    }

    /// The level to stamp on the metrics line: INFO, or the configured level when that is higher,
    /// so Lambda's filter always keeps it.
    pub fn metrics_level(self) -> Self {
        self.max(LogLevel::Info)
    }
}

/// Whether Lambda keeps a JSON log line at `threshold`: its `level`, read as INFO when missing or
/// invalid, or when the line has no valid `timestamp`.
pub fn lambda_keeps(line: &serde_json::Value, threshold: LogLevel) -> bool {
    let timestamp_valid = line["timestamp"].as_str().is_some_and(is_rfc3339);
    let level = line["level"]
        .as_str()
        .and_then(LogLevel::parse)
        .filter(|_| timestamp_valid)
        .unwrap_or(LogLevel::Info);
    level >= threshold
}

fn is_rfc3339(text: &str) -> bool {
    crate::edge::read::parse_time("timestamp", text).is_ok()
}

/// The Lambda subscriber: JSON lines when Lambda's log format is JSON, each with its level and an
/// RFC 3339 timestamp, filtered at `level` (TRACE clamped to DEBUG). Per-target `RUST_LOG`
/// directives are not read, so nothing can turn TRACE back on for one crate.
pub fn init_lambda(level: LogLevel, json: bool) {
    let collector = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .with_max_level(level.tracing_filter())
        .with_writer(std::io::stdout);
    if json {
        collector.json().init();
    } else {
        collector.init();
    }
    if level == LogLevel::Trace {
        tracing::warn!("log level TRACE is served as DEBUG: TRACE would log the raw event");
    }
}

/// The local command's logs: on stderr, only when `RUST_LOG` asks, never below DEBUG.
pub fn init_local() {
    if let Some(level) = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| LogLevel::parse(&v))
    {
        lambda_runtime::tracing::subscriber::fmt()
            .with_target(false)
            .with_max_level(level.tracing_filter())
            .with_writer(std::io::stderr)
            .init();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: &str = "2026-11-28T16:00:00.000Z";

    #[test]
    fn levels_parse_in_any_case_and_order_by_severity() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
            assert_eq!(LogLevel::parse(&level.as_str().to_lowercase()), Some(level));
        }
        assert_eq!(LogLevel::parse("verbose"), None);
        assert!(LogLevel::Trace < LogLevel::Debug && LogLevel::Error < LogLevel::Fatal);
    }

    #[test]
    fn trace_is_never_a_filter() {
        assert_eq!(LogLevel::Trace.tracing_filter(), LevelFilter::DEBUG);
        assert_eq!(LogLevel::Fatal.tracing_filter(), LevelFilter::ERROR);
    }

    #[test]
    fn lambda_reads_a_line_without_level_or_timestamp_as_info() {
        let bare = json!({"_aws": {}});
        assert!(lambda_keeps(&bare, LogLevel::Info));
        assert!(!lambda_keeps(&bare, LogLevel::Warn));
        let no_time = json!({"level": "ERROR"});
        assert!(!lambda_keeps(&no_time, LogLevel::Warn));
        let stamped = json!({"level": "ERROR", "timestamp": NOW});
        assert!(lambda_keeps(&stamped, LogLevel::Error));
        assert!(!lambda_keeps(&stamped, LogLevel::Fatal));
        let badly_stamped = json!({"level": "ERROR", "timestamp": "yesterday"});
        assert!(!lambda_keeps(&badly_stamped, LogLevel::Warn));
    }

    #[test]
    fn the_metrics_level_is_kept_at_every_level() {
        for threshold in LogLevel::ALL {
            let line = json!({"level": threshold.metrics_level().as_str(), "timestamp": NOW});
            assert!(lambda_keeps(&line, threshold), "{threshold:?}");
        }
        assert_eq!(LogLevel::Debug.metrics_level(), LogLevel::Info);
    }
}
