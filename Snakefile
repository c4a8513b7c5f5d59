# AgentLab: a study is benchmarks × tasks × agents × seeds; each episode is one target.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "rules/captions/workflow.rst"


include: "rules/common.smk"
include: "rules/preflight.smk"
include: "rules/resets.smk"
include: "rules/episodes.smk"
include: "rules/aggregate.smk"
include: "rules/report.smk"


# On a cluster, the light bookkeeping runs where Snakemake runs instead of waiting in the queue.
localrules:
    manifest,
    aggregate,
    report,


rule all:
    input:
        study_outputs(),


# The local LLM server (if the study has local-model agents) is shared by all episodes of a run.
onstart:
    refuse_a_second_run()
    refuse_dirty_tree()
    warn_of_the_local_job_cap()
    start_local_llm_server()


onsuccess:
    stop_local_llm_server()


onerror:
    stop_local_llm_server()
    report_spend()
