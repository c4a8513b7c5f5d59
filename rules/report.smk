# The study's static HTML report (agentlab/report/): index.html and one trace page per episode.
# Its inputs are the aggregate rule's summary table and plots, which are rebuilt whenever an episode
# summary changes (steps and screenshots change with it); the trace pages are one folder output,
# rebuilt whole. It builds from the aggregate's tables (agentlab/analyze/outputs.py), all written by
# the job that writes summary.csv: the input stands for them (listing them would rerun every
# finished study's report).
rule report:
    input:
        manifest="results/{study}/study.json",
        summary_csv=rules.aggregate.output.summary_csv,
        plots=[rules.aggregate.output[name] for name in PLOTS],
    output:
        index="results/{study}/report/index.html",
        episodes=directory("results/{study}/report/episodes"),
    log:
        "results/{study}/logs/report.log",
    conda:
        "../envs/agentlab.yaml"
    params:
        repo=workflow.basedir,
    shell:
        "agentlab report results/{wildcards.study:q} --repo {params.repo:q} > {log:q} 2>&1"
