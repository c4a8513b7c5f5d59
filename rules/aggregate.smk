# Every summary of a study into tables (CSV, Markdown) and plots (PNG); the report() ones also go
# into `snakemake --report` (captions in rules/captions/).
rule manifest:
    output:
        "results/{study}/study.json",
    log:
        "results/{study}/logs/manifest.log",
    # The job recomputes the manifest from the study's config: the manifest itself (every task
    # name) can exceed the 128 KB a shell argument may hold. Its digest reruns the job when it changes.
    params:
        study=study_definition,
        digest=study_manifest_digest,
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab manifest --out {output:q} --study {params.study:q} > {log:q} 2>&1"


rule aggregate:
    input:
        summaries=study_summaries,
        manifest="results/{study}/study.json",
    output:
        summary_md="results/{study}/summary.md",
        summary_csv=report(
            "results/{study}/summary.csv", caption="captions/summary.rst", category="Tables"
        ),
        episodes_csv="results/{study}/episodes.csv",
        per_task_csv="results/{study}/per_task.csv",
        comparisons_csv=report(
            "results/{study}/comparisons.csv", caption="captions/comparisons.rst", category="Tables"
        ),
        errors_csv="results/{study}/errors.csv",
        success_plot=report(
            "results/{study}/plots/success_rate.png", caption="captions/success_rate.rst", category="Plots"
        ),
        per_task_plot=report(
            "results/{study}/plots/per_task_success.png", caption="captions/per_task_success.rst", category="Plots"
        ),
        cost_plot=report(
            "results/{study}/plots/cost_vs_success.png", caption="captions/cost_vs_success.rst", category="Plots"
        ),
    log:
        "results/{study}/logs/aggregate.log",
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab aggregate results/{wildcards.study} > {log:q} 2>&1"
