# The study's static HTML report (agentlab/report/): index.html and one trace page per episode.
# Its inputs are every episode summary (steps and screenshots change with it) and the aggregate
# rule's summary table and plots; the trace pages are one folder output, rebuilt whole.
rule report:
    input:
        summaries=study_summaries,
        manifest="results/{study}/study.json",
        summary_csv=rules.aggregate.output.summary_csv,
        plots=[rules.aggregate.output[name] for name in PLOTS],
    output:
        index="results/{study}/report/index.html",
        episodes=directory("results/{study}/report/episodes"),
    log:
        "results/{study}/logs/report.log",
    params:
        repo=workflow.basedir,
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab report results/{wildcards.study} --repo {params.repo:q} > {log:q} 2>&1"
