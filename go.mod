module github.com/mailroot/mailroot

go 1.26.8
