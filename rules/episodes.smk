# One real browser episode per (benchmark, agent, task, seed).
rule episode:
    output:
        "results/{study}/{benchmark}/{agent}/{task}/seed{seed}/summary.json",
    log:
        "results/{study}/logs/{benchmark}/{agent}/{task}/seed{seed}.log",
    params:
        spec=episode_spec,
        config_hash=episode_config_hash,
        dir=episode_dir,
    # How the episode runs (not params: changing these reruns nothing).
    resources:
        browser=1,
        attempt=lambda wildcards, attempt: attempt,
        max_attempts=STUDY.retries + 1,
        step_timeout_s=STUDY.step_timeout_s,
        episode_timeout_s=STUDY.episode_timeout_s,
        runtime=episode_runtime,
    retries: STUDY.retries
    conda:
        "../envs/agentlab.yaml"
    shell:
        "agentlab episode --spec {params.spec:q} --out {params.dir:q}"
        " --attempt {resources.attempt} --max-attempts {resources.max_attempts}"
        " --step-timeout {resources.step_timeout_s} --episode-timeout {resources.episode_timeout_s}"
        " >> {log:q} 2>&1"
