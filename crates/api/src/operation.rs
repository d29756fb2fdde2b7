//! The operations of the DynamoDB API (version 2012-08-10), named as in `X-Amz-Target`.
//!
//! Knowing every operation lets the protocol layer answer an unknown target exactly as DynamoDB
//! does, before authentication, and gives authorization a typed value to decide on.

/// The `X-Amz-Target` prefix of the DynamoDB API version every current client speaks.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810";

/// One DynamoDB API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    BatchExecuteStatement,
    BatchGetItem,
    BatchWriteItem,
    CreateBackup,
    CreateGlobalTable,
    CreateTable,
    DeleteBackup,
    DeleteItem,
    DeleteResourcePolicy,
    DeleteTable,
    DescribeBackup,
    DescribeContinuousBackups,
    DescribeContributorInsights,
    DescribeEndpoints,
    DescribeExport,
    DescribeGlobalTable,
    DescribeGlobalTableSettings,
    DescribeImport,
    DescribeKinesisStreamingDestination,
    DescribeLimits,
    DescribeTable,
    DescribeTableReplicaAutoScaling,
    DescribeTimeToLive,
    DisableKinesisStreamingDestination,
    EnableKinesisStreamingDestination,
    ExecuteStatement,
    ExecuteTransaction,
    ExportTableToPointInTime,
    GetItem,
    GetResourcePolicy,
    ImportTable,
    ListBackups,
    ListContributorInsights,
    ListExports,
    ListGlobalTables,
    ListImports,
    ListTables,
    ListTagsOfResource,
    PutItem,
    PutResourcePolicy,
    Query,
    RestoreTableFromBackup,
    RestoreTableToPointInTime,
    Scan,
    SearchVectors,
    TagResource,
    TransactGetItems,
    TransactWriteItems,
    UntagResource,
    UpdateContinuousBackups,
    UpdateContributorInsights,
    UpdateGlobalTable,
    UpdateGlobalTableSettings,
    UpdateItem,
    UpdateKinesisStreamingDestination,
    UpdateTable,
    UpdateTableReplicaAutoScaling,
    UpdateTimeToLive,
}

impl Operation {
    /// Every operation, in alphabetical order.
    pub const ALL: &[Operation] = &[
        Operation::BatchExecuteStatement,
        Operation::BatchGetItem,
        Operation::BatchWriteItem,
        Operation::CreateBackup,
        Operation::CreateGlobalTable,
        Operation::CreateTable,
        Operation::DeleteBackup,
        Operation::DeleteItem,
        Operation::DeleteResourcePolicy,
        Operation::DeleteTable,
        Operation::DescribeBackup,
        Operation::DescribeContinuousBackups,
        Operation::DescribeContributorInsights,
        Operation::DescribeEndpoints,
        Operation::DescribeExport,
        Operation::DescribeGlobalTable,
        Operation::DescribeGlobalTableSettings,
        Operation::DescribeImport,
        Operation::DescribeKinesisStreamingDestination,
        Operation::DescribeLimits,
        Operation::DescribeTable,
        Operation::DescribeTableReplicaAutoScaling,
        Operation::DescribeTimeToLive,
        Operation::DisableKinesisStreamingDestination,
        Operation::EnableKinesisStreamingDestination,
        Operation::ExecuteStatement,
        Operation::ExecuteTransaction,
        Operation::ExportTableToPointInTime,
        Operation::GetItem,
        Operation::GetResourcePolicy,
        Operation::ImportTable,
        Operation::ListBackups,
        Operation::ListContributorInsights,
        Operation::ListExports,
        Operation::ListGlobalTables,
        Operation::ListImports,
        Operation::ListTables,
        Operation::ListTagsOfResource,
        Operation::PutItem,
        Operation::PutResourcePolicy,
        Operation::Query,
        Operation::RestoreTableFromBackup,
        Operation::RestoreTableToPointInTime,
        Operation::Scan,
        Operation::SearchVectors,
        Operation::TagResource,
        Operation::TransactGetItems,
        Operation::TransactWriteItems,
        Operation::UntagResource,
        Operation::UpdateContinuousBackups,
        Operation::UpdateContributorInsights,
        Operation::UpdateGlobalTable,
        Operation::UpdateGlobalTableSettings,
        Operation::UpdateItem,
        Operation::UpdateKinesisStreamingDestination,
        Operation::UpdateTable,
        Operation::UpdateTableReplicaAutoScaling,
        Operation::UpdateTimeToLive,
    ];

    /// The operation's name, as after the `.` of `X-Amz-Target` and in `dynamodb:<Action>`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::BatchExecuteStatement => "BatchExecuteStatement",
            Operation::BatchGetItem => "BatchGetItem",
            Operation::BatchWriteItem => "BatchWriteItem",
            Operation::CreateBackup => "CreateBackup",
            Operation::CreateGlobalTable => "CreateGlobalTable",
            Operation::CreateTable => "CreateTable",
            Operation::DeleteBackup => "DeleteBackup",
            Operation::DeleteItem => "DeleteItem",
            Operation::DeleteResourcePolicy => "DeleteResourcePolicy",
            Operation::DeleteTable => "DeleteTable",
            Operation::DescribeBackup => "DescribeBackup",
            Operation::DescribeContinuousBackups => "DescribeContinuousBackups",
            Operation::DescribeContributorInsights => "DescribeContributorInsights",
            Operation::DescribeEndpoints => "DescribeEndpoints",
            Operation::DescribeExport => "DescribeExport",
            Operation::DescribeGlobalTable => "DescribeGlobalTable",
            Operation::DescribeGlobalTableSettings => "DescribeGlobalTableSettings",
            Operation::DescribeImport => "DescribeImport",
            Operation::DescribeKinesisStreamingDestination => "DescribeKinesisStreamingDestination",
            Operation::DescribeLimits => "DescribeLimits",
            Operation::DescribeTable => "DescribeTable",
            Operation::DescribeTableReplicaAutoScaling => "DescribeTableReplicaAutoScaling",
            Operation::DescribeTimeToLive => "DescribeTimeToLive",
            Operation::DisableKinesisStreamingDestination => "DisableKinesisStreamingDestination",
            Operation::EnableKinesisStreamingDestination => "EnableKinesisStreamingDestination",
            Operation::ExecuteStatement => "ExecuteStatement",
            Operation::ExecuteTransaction => "ExecuteTransaction",
            Operation::ExportTableToPointInTime => "ExportTableToPointInTime",
            Operation::GetItem => "GetItem",
            Operation::GetResourcePolicy => "GetResourcePolicy",
            Operation::ImportTable => "ImportTable",
            Operation::ListBackups => "ListBackups",
            Operation::ListContributorInsights => "ListContributorInsights",
            Operation::ListExports => "ListExports",
            Operation::ListGlobalTables => "ListGlobalTables",
            Operation::ListImports => "ListImports",
            Operation::ListTables => "ListTables",
            Operation::ListTagsOfResource => "ListTagsOfResource",
            Operation::PutItem => "PutItem",
            Operation::PutResourcePolicy => "PutResourcePolicy",
            Operation::Query => "Query",
            Operation::RestoreTableFromBackup => "RestoreTableFromBackup",
            Operation::RestoreTableToPointInTime => "RestoreTableToPointInTime",
            Operation::Scan => "Scan",
            Operation::SearchVectors => "SearchVectors",
            Operation::TagResource => "TagResource",
            Operation::TransactGetItems => "TransactGetItems",
            Operation::TransactWriteItems => "TransactWriteItems",
            Operation::UntagResource => "UntagResource",
            Operation::UpdateContinuousBackups => "UpdateContinuousBackups",
            Operation::UpdateContributorInsights => "UpdateContributorInsights",
            Operation::UpdateGlobalTable => "UpdateGlobalTable",
            Operation::UpdateGlobalTableSettings => "UpdateGlobalTableSettings",
            Operation::UpdateItem => "UpdateItem",
            Operation::UpdateKinesisStreamingDestination => "UpdateKinesisStreamingDestination",
            Operation::UpdateTable => "UpdateTable",
            Operation::UpdateTableReplicaAutoScaling => "UpdateTableReplicaAutoScaling",
            Operation::UpdateTimeToLive => "UpdateTimeToLive",
        }
    }

    /// The operation named `name` (case-sensitive, as DynamoDB matches it).
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The operation named by an `X-Amz-Target` header value (`DynamoDB_20120810.<Name>`).
    pub fn from_target(target: &str) -> Option<Operation> {
        let (prefix, name) = target.split_once('.')?;
        if prefix != TARGET_PREFIX {
            return None;
        }
        Operation::from_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_sorted() {
        assert_eq!(Operation::ALL.len(), 58);
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
            assert_eq!(
                Operation::from_target(&format!("DynamoDB_20120810.{}", op.name())),
                Some(*op)
            );
        }
        let names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn targets_outside_the_api_are_unknown() {
        for target in [
            "",
            "GetItem",
            "DynamoDB_20120810.",
            "DynamoDB_20120810.getitem",
            "DynamoDB_20111205.GetItem",
            "DynamoDB_20120810.GetItem.Extra",
            "DynamoDBStreams_20120810.GetRecords",
        ] {
            assert_eq!(Operation::from_target(target), None, "{target}");
        }
    }
}
