# AgentLab: a study is benchmarks × tasks × agents × seeds; each episode is one target.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "rules/captions/workflow.rst"


include: "rules/common.smk"
include: "rules/episodes.smk"
include: "rules/aggregate.smk"
include: "rules/report.smk"


rule all:
    input:
        study_outputs(),
