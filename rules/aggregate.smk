# Every summary of a study into tables (CSV, Markdown) and plots (PNG).
rule manifest:
    output:
        "results/{study}/study.json",
    log:
        "results/{study}/logs/manifest.log",
    params:
        manifest=study_manifest,
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab manifest --out {output:q} --json {params.manifest:q} > {log:q} 2>&1"


rule aggregate:
    input:
        summaries=study_summaries,
        manifest="results/{study}/study.json",
    output:
        summary_md="results/{study}/summary.md",
        summary_csv="results/{study}/summary.csv",
        episodes_csv="results/{study}/episodes.csv",
        per_task_csv="results/{study}/per_task.csv",
        comparisons_csv="results/{study}/comparisons.csv",
        errors_csv="results/{study}/errors.csv",
        success_plot="results/{study}/plots/success_rate.png",
        per_task_plot="results/{study}/plots/per_task_success.png",
        cost_plot="results/{study}/plots/cost_vs_success.png",
    log:
        "results/{study}/logs/aggregate.log",
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab aggregate results/{wildcards.study} > {log:q} 2>&1"
