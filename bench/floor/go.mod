module ecr-public-creds-helper/bench/floor

go 1.26
