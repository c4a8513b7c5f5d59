# AgentLab: a study is benchmarks × tasks × agents × seeds; each episode is one target.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/episodes.smk"
include: "rules/aggregate.smk"


# On a cluster, the light bookkeeping runs where Snakemake runs instead of waiting in the queue.
localrules:
    manifest,
    aggregate,


rule all:
    input:
        study_outputs(),
