module github.com/detc/detc/awsapi/gen

go 1.26.8
