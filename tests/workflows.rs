//! The GitHub workflows of this repository, and the one docs/ci.md tells users to copy, parse as
//! YAML and have the shape GitHub Actions needs: a broken workflow fails here, not on a pull request.

mod common;

use serde_norway::Value;

fn check_workflow(name: &str, text: &str) -> Value {
    let workflow: Value = serde_norway::from_str(text)
        .unwrap_or_else(|err| panic!("{name} is not valid YAML: {err}"));
    let jobs = workflow
        .get("jobs")
        .and_then(Value::as_mapping)
        .unwrap_or_else(|| panic!("{name} has no `jobs` mapping"));
    assert!(!jobs.is_empty(), "{name} has no jobs");
    assert!(workflow.get("on").is_some(), "{name} has no `on` trigger");
    for (job_name, job) in jobs {
        let job_name = job_name.as_str().unwrap_or("?");
        assert!(
            job.get("runs-on").is_some(),
            "{name}: job {job_name} has no runs-on"
        );
        let steps = job
            .get("steps")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("{name}: job {job_name} has no steps"));
        for step in steps {
            assert!(
                step.get("uses").is_some() || step.get("run").is_some(),
                "{name}: a step of {job_name} neither uses an action nor runs a command: {step:?}"
            );
        }
        if let Some(needs) = job.get("needs") {
            let needed: Vec<&str> = match needs {
                Value::String(one) => vec![one.as_str()],
                Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
                other => panic!("{name}: job {job_name} has needs {other:?}"),
            };
            for need in needed {
                assert!(
                    jobs.contains_key(need),
                    "{name}: job {job_name} needs unknown job {need}"
                );
            }
        }
    }
    workflow
}

fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_repository_workflows_are_valid() {
    let dir = common::repo().join(".github/workflows");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            let text = std::fs::read_to_string(&path).unwrap();
            check_workflow(&path.display().to_string(), &text);
            checked += 1;
        }
    }
    assert!(checked > 0, "no workflow in {}", dir.display());
}

#[test]
fn the_repository_workflow_runs_the_harness_matrix_and_merges_its_reports() {
    let text = std::fs::read_to_string(common::repo().join(".github/workflows/ci.yml")).unwrap();
    let workflow = check_workflow("ci.yml", &text);
    let jobs = workflow.get("jobs").unwrap();
    for job in ["lint", "test", "plan", "e2e", "merge"] {
        assert!(jobs.get(job).is_some(), "ci.yml has no `{job}` job");
    }
    assert!(text.contains("harness matrix --format github"), "{text}");
    assert!(text.contains("report merge"), "{text}");
    assert!(text.contains(".snap.new"), "pending snapshots are uploaded");
}

#[test]
fn the_workflow_in_docs_ci_md_is_valid() {
    let text = std::fs::read_to_string(common::repo().join("docs/ci.md")).unwrap();
    let blocks = yaml_blocks(&text);
    assert!(!blocks.is_empty(), "docs/ci.md holds no yaml block");
    let workflows: Vec<&String> = blocks.iter().filter(|b| b.contains("jobs:")).collect();
    assert!(!workflows.is_empty(), "docs/ci.md holds no workflow");
    for (index, block) in workflows.iter().enumerate() {
        let workflow = check_workflow(&format!("docs/ci.md block {}", index + 1), block);
        let text = serde_norway::to_string(&workflow).unwrap();
        assert!(text.contains("--partition"), "{text}");
        assert!(text.contains("report merge"), "{text}");
    }
}

#[test]
fn a_broken_workflow_is_caught() {
    let broken =
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - name: nothing\n";
    let caught = std::panic::catch_unwind(|| check_workflow("broken", broken));
    assert!(caught.is_err());
    assert!(serde_norway::from_str::<Value>("jobs: [unclosed").is_err());
}
