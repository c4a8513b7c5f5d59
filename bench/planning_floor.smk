# Snakemake's own floor for bench/planning.py: as many jobs as the study has episodes, one file each
# (paths shaped like the study's), with no params, resources, log, conda or aggregate rule.
TARGETS = [f"results/floor/miniwob/agent{i % 2}/task{i // 2 % 125}/seed{i // 250}/summary.json" for i in range(int(config["episodes"]))]


rule all:
    input:
        TARGETS,


rule episode:
    output:
        "results/{study}/{benchmark}/{agent}/{task}/seed{seed}/summary.json",
    shell:
        "touch {output}"
