//! Running an operation from the command line: the same `ops` path as the
//! console, with the confirmation asked on the terminal (or `--yes`).

use std::io::{BufRead, IsTerminal, Write as _};

use crate::ops::{self, Operation, OpsContext, OpsError, Outcome};

/// Prepares, confirms and executes `op`, and returns the outcome line the
/// command ends with ("done: …" or "skipped: …", the audit log's words);
/// a refusal or failure is the error. The plan is shown on stderr; a
/// script without a terminal must pass `--yes`.
pub async fn run<O: Operation>(ctx: &OpsContext, op: &O, yes: bool) -> Result<String, OpsError> {
    let prepared = match ops::prepare(ctx, op).await? {
        Ok(prepared) => prepared,
        Err(outcome) => return Ok(outcome_line(&outcome)),
    };
    if !yes {
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{}", prepared.plan.summary);
        for (what, from, to) in &prepared.plan.changes {
            let _ = writeln!(err, "  {what}: {from} -> {to}");
        }
        let confirmed = if std::io::stdin().is_terminal() {
            let _ = write!(err, "Proceed? [y/N] ");
            let _ = err.flush();
            // The operator may take their time: wait off the runtime's threads.
            let answer = tokio::task::spawn_blocking(|| {
                let mut answer = String::new();
                let _ = std::io::stdin().lock().read_line(&mut answer);
                answer
            })
            .await
            .unwrap_or_default();
            matches!(answer.trim(), "y" | "Y" | "yes")
        } else {
            let _ = writeln!(err, "no terminal to confirm on: pass --yes to proceed");
            false
        };
        if !confirmed {
            return Err(ops::decline(ctx, &prepared).await);
        }
    }
    Ok(outcome_line(&ops::execute(ctx, prepared).await?))
}

pub fn outcome_line(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done(summary) => format!("done: {summary}"),
        Outcome::Skipped(why) => format!("skipped: {why}"),
    }
}
