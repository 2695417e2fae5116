//! Running an operation from the command line: the same `ops` path as the
//! console, with the confirmation asked on the terminal (or `--yes`).

use std::io::{BufRead as _, IsTerminal, Write as _};

use crate::ops::{self, Operation, OpsContext, OpsError};

/// Prepares, confirms and executes `op`, and returns the outcome line the
/// command ends with ("done: …" or "skipped: …", the audit log's words);
/// a refusal or failure is the error. The plan is shown on stderr; a
/// script without a terminal must pass `--yes`.
pub async fn run<O: Operation>(ctx: &OpsContext, op: &O, yes: bool) -> Result<String, OpsError> {
    let prepared = match ops::prepare(ctx, op).await? {
        ops::Ready::Confirm(prepared) => *prepared,
        ops::Ready::Skipped(why) => return Ok(format!("skipped: {why}")),
    };
    if !yes {
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{}", prepared.plan.summary);
        for ops::Change { what, from, to } in &prepared.plan.changes {
            let _ = writeln!(err, "  {what}: {from} -> {to}");
        }
        let confirmed = if std::io::stdin().is_terminal() {
            let _ = write!(err, "Proceed? [y/N] ");
            let _ = err.flush();
            let answer = answer_from(std::io::stdin()).await;
            matches!(answer.trim(), "y" | "Y" | "yes")
        } else {
            let _ = writeln!(err, "no terminal to confirm on: pass --yes to proceed");
            false
        };
        if !confirmed {
            return Err(ops::decline(ctx, &prepared).await);
        }
    }
    Ok(format!("done: {}", ops::execute(ctx, prepared).await?))
}

/// One line of the operator's answer. They may take their time: it is
/// read on tokio's blocking pool, never on a runtime thread.
async fn answer_from<R: std::io::Read + Send + 'static>(input: R) -> String {
    tokio::task::spawn_blocking(move || {
        let mut answer = String::new();
        let _ = std::io::BufReader::new(input).read_line(&mut answer);
        answer
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    /// A terminal whose operator answers only once another task ran.
    struct SlowOperator(mpsc::Receiver<&'static str>);

    impl std::io::Read for SlowOperator {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let line = self
                .0
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or("never answered\n");
            buf[..line.len()].copy_from_slice(line.as_bytes());
            Ok(line.len())
        }
    }

    #[test]
    fn waiting_for_the_answer_leaves_the_runtime_thread_free() {
        // One runtime thread: were the read on it, the task that lets the
        // operator answer could not run until the read gave up.
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (tx, rx) = mpsc::channel();
        let answer = runtime.block_on(async move {
            let reading = tokio::spawn(super::answer_from(SlowOperator(rx)));
            tokio::spawn(async move { tx.send("y\n").unwrap() });
            reading.await.unwrap()
        });
        assert_eq!(answer, "y\n");
    }
}
