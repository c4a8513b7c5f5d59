# Every summary of a study into tables (CSV, Markdown) and plots (PNG); the files are named once,
# in agentlab/core/layout.py (aggregate_outputs in common.smk). Those with a caption in rules/captions/
# also go into `snakemake --report`.
rule manifest:
    output:
        "results/{study}/study.json",
    log:
        "results/{study}/logs/manifest.log",
    conda:
        "../envs/agentlab.yaml"
    # The job recomputes the manifest from the study's config: the manifest itself (every task
    # name) can exceed the 128 KB a shell argument may hold. Its digest reruns the job when it changes.
    params:
        study=study_definition,
        digest=study_manifest_digest,
    shell:
        "agentlab manifest --out {output:q} --study {params.study:q} > {log:q} 2>&1"


rule aggregate:
    input:
        summaries=study_summaries,
        manifest="results/{study}/study.json",
    output:
        **aggregate_outputs(),
    log:
        "results/{study}/logs/aggregate.log",
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab aggregate results/{wildcards.study:q} > {log:q} 2>&1"
